// Yardstick's suites against lm-eval's own contexts (tests/fixtures/lm/chat_prompts.json,
// written by tools/gen_lm_chat_fixtures.py with lm-eval 0.4.13's ConfigurableTask and
// fewshot_context/construct_requests): MMLU, GSM8K, GSM8K-CoT, WMT16 ro-en and HumanEval,
// plain and with --chat-template / --fewshot-as-multiturn / --system-instruction, through
// the SmolLM2 and Gemma 2 templates. Contexts and continuations must be byte-identical.
#include "engine/backend/cpu/cpu_model.h"
#include "engine/tokenizer/chat_template.h"
#include "suites/suite.h"
#include "tests/mmlu/test_data.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace ys;
using nlohmann::json;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("missing " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The fixture's template as the CPU model renders it (jinja::TemplateError becomes
// engine::ChatTemplateError, as runtime::Engine::apply_chat_template does).
suites::ChatRenderFn fixture_render(const std::string& name, std::string* source) {
  jinja::Context special;
  if (name == "smollm2-instruct") {
    special = {{"bos_token", jinja::Value("<|im_start|>")}, {"eos_token", jinja::Value("<|im_end|>")},
               {"unk_token", jinja::Value("<|endoftext|>")}, {"pad_token", jinja::Value("<|im_end|>")}};
  } else {
    special = {{"bos_token", jinja::Value("<bos>")}, {"eos_token", jinja::Value("<eos>")},
               {"unk_token", jinja::Value("<unk>")}, {"pad_token", jinja::Value("<pad>")}};
  }
  *source = read_file(std::string(YS_SOURCE_DIR) + "/tests/fixtures/chat_templates/" + name + ".jinja");
  auto tpl = std::make_shared<tok::ChatTemplate>(*source, special);
  return [tpl](const std::vector<engine::ChatMessage>& msgs, bool gen) {
    std::vector<tok::ChatMessage> m;
    for (const auto& x : msgs) m.push_back({x.role, x.content});
    tok::ChatRenderOptions o;
    o.add_generation_prompt = gen;
    try {
      return tpl->render(m, o);
    } catch (const jinja::TemplateError& e) {
      throw engine::ChatTemplateError(e.what());
    }
  };
}

suites::TaskOptions options_for(const json& c, const std::filesystem::path& data) {
  suites::TaskOptions o;
  o.data_dir = data;
  o.num_fewshot = c["num_fewshot"].get<int>();
  if (!c["chat_template"].is_null()) {
    o.chat_template = true;
    o.chat_render = fixture_render(c["chat_template"].get<std::string>(), &o.chat_template_source);
  }
  o.fewshot_as_multiturn = c["fewshot_as_multiturn"].get<bool>();
  if (!c["system_instruction"].is_null()) o.system_instruction = c["system_instruction"].get<std::string>();
  if (c["suite"] == "mmlu") {
    o.extra["subjects"] = c["subject"].get<std::string>();
    o.extra["limit_per_subject"] = "2";
  }
  return o;
}

// Checks every document of one fixture entry against the task's requests.
size_t check_entry(const json& c, const suites::Task& task) {
  size_t n = 0;
  for (const auto& d : c["docs"]) {
    const size_t i = d["doc"].get<size_t>();
    INFO(c["suite"] << " doc " << i << " chat " << c["chat_template"] << " multiturn " << c["fewshot_as_multiturn"]
                    << " system " << c["system_instruction"] << " shots " << c["num_fewshot"]);
    const suites::DocRequests req = task.requests(i);
    CHECK(req.prompt == d["context"].get<std::string>());
    const auto& args = d["arguments"];
    if (!req.loglikelihood.empty()) {
      REQUIRE(req.loglikelihood.size() == args.size());
      for (size_t k = 0; k < args.size(); ++k) {
        CHECK(req.loglikelihood[k].context == args[k][0].get<std::string>());
        CHECK(req.loglikelihood[k].continuation == args[k][1].get<std::string>());
      }
    } else {
      REQUIRE(args.size() == 1);
      REQUIRE_FALSE(req.generate.empty());
      for (const auto& g : req.generate) CHECK(g.prompt == args[0][0].get<std::string>());
    }
    ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("lm-eval chat protocols: contexts and continuations equal lm-eval's") {
  const auto data = testing::shared_data_dir();
  if (!data) {
    WARN("skipped: shared datasets not found (set YARDSTICK_SHARED_DATA)");
    return;
  }
  const json fx = json::parse(read_file(std::string(YS_SOURCE_DIR) + "/tests/fixtures/lm/chat_prompts.json"));
  size_t docs = 0, entries = 0;
  for (const auto& c : fx["suites"]) {
    const auto task = suites::make_task(c["suite"].get<std::string>(), options_for(c, *data));
    docs += check_entry(c, *task);
    ++entries;
    const std::string version = task->protocol_version();
    if (c["chat_template"].is_null()) {
      CHECK(version.find("+chat") == std::string::npos);
      CHECK(task->protocol()["chat_template"] == false);
    } else {
      CHECK(version.find(c["fewshot_as_multiturn"].get<bool>() ? "+chat-multiturn" : "+chat") != std::string::npos);
      CHECK(task->protocol()["chat_template_sha256"].get<std::string>().size() == 64);
    }
  }
  CHECK(entries == 40);
  CHECK(docs == 90);  // mmlu 2 subjects x 2 shot counts x 5 modes x 2 + gsm8k 2 x 5 x 3 + wmt 5 x 2 + humaneval 5 x 2
}

TEST_CASE("lm-eval chat protocols: the real SmolLM2 model renders its own template like the fixture") {
  const char* env = std::getenv("YARDSTICK_MODEL");
  const std::filesystem::path model =
      env && *env ? env : std::filesystem::path(YS_SOURCE_DIR) / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf";
  const auto data = testing::shared_data_dir();
  if (!std::filesystem::exists(model) || !data) {
    WARN("skipped: " << model << " or the shared datasets are missing");
    return;
  }
  engine::CpuModel m(model, {});
  CHECK(m.chat_template() ==
        read_file(std::string(YS_SOURCE_DIR) + "/tests/fixtures/chat_templates/smollm2-instruct.jinja"));
  const json fx = json::parse(read_file(std::string(YS_SOURCE_DIR) + "/tests/fixtures/lm/chat_prompts.json"));
  size_t checked = 0;
  for (const auto& c : fx["suites"]) {
    if (c["chat_template"] != "smollm2-instruct") continue;
    suites::TaskOptions o = options_for(c, *data);
    o.chat_template_source = m.chat_template();
    o.chat_render = [&m](const std::vector<engine::ChatMessage>& msgs, bool gen) {
      engine::ChatOptions co;
      co.add_generation_prompt = gen;
      return m.apply_chat_template(msgs, co);
    };
    checked += check_entry(c, *suites::make_task(c["suite"].get<std::string>(), o));
  }
  CHECK(checked == 54);
}

TEST_CASE("parse-special: the CPU model applies LoadOptions::parse_special to everything it encodes") {
  const char* env = std::getenv("YARDSTICK_MODEL");
  const std::filesystem::path model =
      env && *env ? env : std::filesystem::path(YS_SOURCE_DIR) / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::filesystem::exists(model)) {
    WARN("skipped: " << model << " is missing");
    return;
  }
  engine::LoadOptions on_opts, off_opts;
  off_opts.parse_special = false;
  engine::CpuModel on(model, on_opts), off(model, off_opts);
  const std::string text = "Explain </s> and <|im_start|> tokens.";
  const auto a = on.tokenize(text, false), b = off.tokenize(text, false);
  CHECK(std::count(a.begin(), a.end(), 1) == 1);  // <|im_start|> is control token 1
  CHECK(std::count(b.begin(), b.end(), 1) == 0);
  CHECK(b.size() > a.size());
  // Scoring sees the same tokens: the continuation's log-likelihood differs between the two.
  const auto la = on.loglikelihood({{"Token:", " <|im_start|>"}}), lb = off.loglikelihood({{"Token:", " <|im_start|>"}});
  CHECK(la.at(0).n_tokens < lb.at(0).n_tokens);
}
