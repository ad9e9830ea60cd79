#include "runner/settings.h"

#include "common/error.h"
#include "engine/backend/cpu/cpu_gemm.h"
#include "engine/remote/endpoint.h"

#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

namespace ys::runner {
namespace {

using Setter = std::function<void(const nlohmann::json&)>;

// Binds config keys (== long flag names without dashes, '-' -> '_') to fields.
std::map<std::string, Setter> config_setters(RunSettings& s, const std::string& file) {
  auto need = [file](const nlohmann::json& v, bool ok, const char* key, const char* what) {
    if (!ok) fail(ErrorKind::invalid_input, "{}: key \"{}\": expected {}, got {}", file, key, what, v.dump());
  };
  // The setters outlive this function: they hold `need` and the key by value and only the
  // destination field by reference (found by tools/fuzz.sh: a wrong-typed value used to
  // format its error through a dangling `need`).
  auto str = [need](const char* key, std::string& dst) {
    return Setter([need, key, &dst](const nlohmann::json& v) { need(v, v.is_string(), key, "a string"); dst = v.get<std::string>(); });
  };
  auto integer = [need](const char* key, auto& dst) {
    return Setter([need, key, &dst](const nlohmann::json& v) {
      need(v, v.is_number_integer(), key, "an integer");
      dst = v.get<std::remove_reference_t<decltype(dst)>>();
    });
  };
  auto number = [need](const char* key, double& dst) {
    return Setter([need, key, &dst](const nlohmann::json& v) { need(v, v.is_number(), key, "a number"); dst = v.get<double>(); });
  };
  auto boolean = [need](const char* key, bool& dst) {
    return Setter([need, key, &dst](const nlohmann::json& v) { need(v, v.is_boolean(), key, "true or false"); dst = v.get<bool>(); });
  };
  std::map<std::string, Setter> m;
  m["model"] = str("model", s.model);
  m["suite"] = [&s, need](const nlohmann::json& v) {
    s.suites.clear();
    if (v.is_string()) {
      std::stringstream ss(v.get<std::string>());
      for (std::string part; std::getline(ss, part, ',');) if (!part.empty()) s.suites.push_back(part);
    } else if (v.is_array()) {
      for (const auto& e : v) {
        need(e, e.is_string(), "suite", "a string or an array of strings");
        s.suites.push_back(e.get<std::string>());
      }
    } else {
      need(v, false, "suite", "a string or an array of strings");
    }
  };
  m["limit"] = integer("limit", s.limit);
  m["limit_per_subject"] = integer("limit_per_subject", s.limit_per_subject);
  m["num_fewshot"] = integer("num_fewshot", s.num_fewshot);
  m["quant"] = str("quant", s.quant);
  m["activations"] = str("activations", s.activations);
  m["threads"] = integer("threads", s.threads);
  m["batch_size"] = integer("batch_size", s.batch_size);
  m["seed"] = integer("seed", s.seed);
  m["bos"] = str("bos", s.bos);
  m["chat_template"] = boolean("chat_template", s.chat_template);
  m["fewshot_as_multiturn"] = boolean("fewshot_as_multiturn", s.fewshot_as_multiturn);
  m["system_instruction"] = str("system_instruction", s.system_instruction);
  m["parse_special"] = str("parse_special", s.parse_special);
  m["subjects"] = str("subjects", s.subjects);
  m["db"] = str("db", s.db);
  m["data_dir"] = str("data_dir", s.data_dir);
  m["tag"] = str("tag", s.tag);
  m["shard"] = str("shard", s.shard);
  m["samples"] = integer("samples", s.samples);
  m["temperature"] = number("temperature", s.temperature);
  m["top_p"] = number("top_p", s.top_p);
  m["unsafe_no_sandbox"] = boolean("unsafe_no_sandbox", s.unsafe_no_sandbox);
  m["baseline_quant"] = str("baseline_quant", s.baseline_quant);
  m["text_file"] = str("text_file", s.text_file);
  m["device"] = str("device", s.device);
  m["kv_memory"] = str("kv_memory", s.kv_memory);
  m["no_prefix_cache"] = boolean("no_prefix_cache", s.no_prefix_cache);
  m["deterministic"] = boolean("deterministic", s.deterministic);
  m["kv_type"] = str("kv_type", s.kv_type);
  m["endpoint"] = str("endpoint", s.endpoint);
  m["remote_model"] = str("remote_model", s.remote_model);
  m["api_key_env"] = str("api_key_env", s.api_key_env);
  m["remote_api"] = str("remote_api", s.remote_api);
  m["remote_logprobs"] = str("remote_logprobs", s.remote_logprobs);
  m["remote_max_stop"] = integer("remote_max_stop", s.remote_max_stop);
  m["remote_one_prompt"] = boolean("remote_one_prompt", s.remote_one_prompt);
  m["remote_extra"] = str("remote_extra", s.remote_extra);
  m["concurrency"] = integer("concurrency", s.concurrency);
  m["request_timeout"] = number("request_timeout", s.request_timeout);
  m["retries"] = integer("retries", s.retries);
  m["no_cache"] = boolean("no_cache", s.no_cache);
  m["price_in"] = number("price_in", s.price_in);
  m["price_out"] = number("price_out", s.price_out);
  m["price_file"] = str("price_file", s.price_file);
  m["cpu_gemm"] = str("cpu_gemm", s.cpu_gemm);
  return m;
}

std::string flag_for_key(const std::string& key) {
  std::string f = "--" + key;
  for (char& c : f) if (c == '_') c = '-';
  return f;
}

}  // namespace

nlohmann::json RunSettings::to_json() const {
  return {{"model", model},        {"suite", suites},         {"limit", limit},
          {"limit_per_subject", limit_per_subject},           {"num_fewshot", num_fewshot},
          {"quant", quant},        {"activations", activations},
          {"threads", threads},    {"batch_size", batch_size},
          {"seed", seed},          {"bos", bos},              {"chat_template", chat_template},
          {"tag", tag},            {"shard", shard},          {"samples", samples},
          {"temperature", temperature},                       {"top_p", top_p},
          {"unsafe_no_sandbox", unsafe_no_sandbox},           {"baseline_quant", baseline_quant},
          {"text_file", text_file}, {"device", device},
          {"kv_memory", kv_memory}, {"no_prefix_cache", no_prefix_cache},
          {"deterministic", deterministic}, {"kv_type", kv_type},
          {"endpoint", endpoint}, {"remote_model", remote_model}, {"api_key_env", api_key_env},
          {"remote_api", remote_api}, {"remote_logprobs", remote_logprobs}, {"remote_max_stop", remote_max_stop},
          {"remote_one_prompt", remote_one_prompt}, {"remote_extra", remote_extra},
          {"concurrency", concurrency}, {"request_timeout", request_timeout}, {"retries", retries},
          {"no_cache", no_cache}, {"price_in", price_in}, {"price_out", price_out}, {"price_file", price_file},
          {"cpu_gemm", cpu_gemm},

          {"fewshot_as_multiturn", fewshot_as_multiturn}, {"system_instruction", system_instruction},
          {"parse_special", parse_special}, {"subjects", subjects}};
}

void add_run_flags(CLI::App& app, RunSettings& s, std::string& config_path) {
  app.add_option("--model,-m", s.model, "GGUF model file (default: the set-up's SmolLM2)");
  app.add_option("--suite,-s", s.suites, "Suites, comma separated: mmlu, gsm8k, gsm8k_cot, humaneval, wmt16-ro-en, ..., quant")
      ->delimiter(',');
  app.add_option("--limit", s.limit, "Evaluate only the first N documents of each suite (0 = all)");
  app.add_option("--limit-per-subject", s.limit_per_subject, "MMLU: only the first N questions of each subject");
  app.add_option("--num-fewshot", s.num_fewshot, "Few-shot examples (default: the protocol's)");
  app.add_option("--quant", s.quant, "Re-quantize weights at load: f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1");
  app.add_option("--activations", s.activations,
                 "Activations against quantized weights: f32 (exact, default) | int8 (llama.cpp's 8-bit numerics)");
  app.add_option("--threads,-t", s.threads, "CPU threads (0 = all cores)");
  app.add_option("--batch-size", s.batch_size, "Documents per engine call (results do not depend on it)");
  app.add_option("--seed", s.seed, "Seed for sampling and for suites that draw at random");
  app.add_option("--bos", s.bos, "Prepend BOS: auto (the tokenizer's default) | on | off");
  app.add_flag("--chat-template", s.chat_template,
               "Render prompts with the model's own chat template, as lm-eval --apply_chat_template");
  app.add_flag("--fewshot-as-multiturn", s.fewshot_as_multiturn,
               "With --chat-template: few-shot examples as user/assistant turns (lm-eval --fewshot_as_multiturn)");
  app.add_option("--system-instruction", s.system_instruction,
                 "A system instruction before the task description (lm-eval --system_instruction)");
  app.add_option("--parse-special", s.parse_special,
                 "Special-token text in prompts (<|im_start|>, </s>): on = control tokens, as Hugging Face and "
                 "lm-eval (default) | off = plain text, as llama.cpp");
  app.add_option("--subjects", s.subjects, "MMLU: only these subjects, comma separated (e.g. anatomy,virology)");
  app.add_option("--db", s.db, "Result store (SQLite; env YARDSTICK_DB, default ./results.db)");
  app.add_option("--data-dir", s.data_dir, "Data directory (env YARDSTICK_DATA, default ./data)");
  app.add_option("--config", config_path, "JSON file with any of these settings (keys: flag names, '_' for '-')");
  app.add_option("--tag", s.tag, "A label stored with the run");
  app.add_option("--resume", s.resume, "Continue a killed run, skipping finished documents");
  app.add_option("--shard", s.shard, "Evaluate a deterministic part I/N of each suite (1-based)");
  app.add_option("--samples", s.samples, "Generations per document (HumanEval pass@k)");
  app.add_option("--temperature", s.temperature, "Sampling temperature for --samples > 1");
  app.add_option("--top-p", s.top_p, "Nucleus sampling threshold");
  app.add_flag("--unsafe-no-sandbox", s.unsafe_no_sandbox, "Run HumanEval programs without bubblewrap (unsafe)");
  app.add_option("--baseline-quant", s.baseline_quant, "quant suite: baseline weights f32|f16|bf16");
  app.add_option("--text-file", s.text_file, "quant suite: corpus file (default: a fixed slice of WMT/MMLU text)");
  app.add_option("--device", s.device, "cpu or cuda[:N] (when built with CUDA)");
  app.add_option("--kv-memory", s.kv_memory, "Budget for key/value caches, e.g. 4GiB (default 2GiB)");
  app.add_flag("--no-prefix-cache", s.no_prefix_cache, "Recompute every prompt from scratch (to measure the cache's gain)");
  app.add_option("--kv-type", s.kv_type, "Key/value cache precision: f32 (default, exact) | f16 (half the memory)");
  app.add_option("--endpoint", s.endpoint, "Remote model: OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1 "
                 "(or --model openai:URL#MODEL)");
  app.add_option("--remote-model", s.remote_model, "Remote model: the served model name (with --endpoint)");
  app.add_option("--api-key-env", s.api_key_env, "Remote model: environment variable holding the API key (never stored)");
  app.add_option("--remote-api", s.remote_api, "Remote generation through completions (default) or chat");
  app.add_option("--remote-logprobs", s.remote_logprobs,
                 "Remote loglikelihood through echo (default: /v1/completions echo+logprobs) or prompt_logprobs (vLLM)");
  app.add_option("--remote-max-stop", s.remote_max_stop, "Remote: send at most N stop strings (OpenAI: 4; 0 = all)");
  app.add_flag("--remote-one-prompt", s.remote_one_prompt,
               "Remote loglikelihood: one prompt per request, for servers that take no prompt lists (llama-cpp-python)");
  app.add_option("--remote-extra", s.remote_extra,
                 "Remote: a JSON object merged into every request, e.g. '{\"repeat_penalty\": 1.0}' (stored with the run)");
  app.add_option("--concurrency", s.concurrency, "Remote: requests in flight (default 8)");
  app.add_option("--request-timeout", s.request_timeout, "Remote: seconds per request (default 300)");
  app.add_option("--retries", s.retries, "Remote: retries on 429/5xx/timeouts/dropped connections (default 6)");
  app.add_flag("--no-cache", s.no_cache, "Remote: ask the server again instead of answering from the response cache");
  app.add_option("--price-in", s.price_in, "Remote: $ per 1M prompt tokens (cost per run and per 1,000 questions)");
  app.add_option("--price-out", s.price_out, "Remote: $ per 1M completion tokens");
  app.add_option("--price-file", s.price_file, "Remote: JSON prices {\"MODEL\": {\"in\": $, \"out\": $}}, per 1M tokens");
  app.add_flag("--deterministic", s.deterministic,
               "CUDA: batch-invariant kernels (a sequence's logits do not depend on the batch; slower). "
               "Accepted on CPU, where it changes nothing: CPU results are always batch-invariant");
  app.add_option("--cpu-gemm", s.cpu_gemm,
                 "CPU matrix products: engine (default, exact f32 activations) | onednn (oneDNN bf16: faster prefill "
                 "on CPUs with AMX/AVX512-BF16, bf16 rounding, still batch-invariant)");
}

nlohmann::json parse_json_strict(const std::string& text, const std::string& source_name) {
  std::vector<std::set<std::string>> seen;
  std::string duplicate;
  auto cb = [&](int /*depth*/, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (ev == E::object_start) seen.emplace_back();
    if (ev == E::object_end && !seen.empty()) seen.pop_back();
    if (ev == E::key && !seen.empty()) {
      std::string k = parsed.get<std::string>();
      if (!seen.back().insert(k).second && duplicate.empty()) duplicate = k;
    }
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text, cb);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range for a number past double's range
    fail(ErrorKind::format, "{}: not valid JSON: {}", source_name, e.what());
  }
  if (!duplicate.empty()) fail(ErrorKind::format, "{}: key \"{}\" appears twice", source_name, duplicate);
  return j;
}

void apply_config_file(const std::string& path, const CLI::App& app, RunSettings& s) {
  std::ifstream in(path);
  if (!in) fail(ErrorKind::io, "{}: cannot open the config file (--config)", path);
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = parse_json_strict(ss.str(), path);
  if (!j.is_object()) fail(ErrorKind::format, "{}: expected a JSON object of settings", path);
  auto setters = config_setters(s, path);
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto found = setters.find(it.key());
    if (found == setters.end()) {
      fail(ErrorKind::invalid_input, "{}: unknown key \"{}\" (keys are run flag names, e.g. \"num_fewshot\")",
           path, it.key());
    }
    const CLI::Option* opt = app.get_option_no_throw(flag_for_key(it.key()));
    if (opt != nullptr && opt->count() > 0) continue;  // the command line wins
    found->second(it.value());
  }
}

RunSettings settings_from_json(const nlohmann::json& j, const std::string& source_name) {
  RunSettings s;
  if (!j.is_object()) fail(ErrorKind::format, "{}: expected a JSON object of settings", source_name);
  auto setters = config_setters(s, source_name);
  for (auto it = j.begin(); it != j.end(); ++it) {
    auto found = setters.find(it.key());
    if (found == setters.end()) fail(ErrorKind::format, "{}: unknown settings key \"{}\"", source_name, it.key());
    found->second(it.value());
  }
  return s;
}

int64_t parse_memory_size(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  static const std::map<std::string, double> units{
      {"", 1.0},          {"B", 1.0},         {"K", 1024.0},           {"KiB", 1024.0},
      {"M", 1048576.0},   {"MiB", 1048576.0}, {"G", 1073741824.0},     {"GiB", 1073741824.0},
      {"KB", 1e3},        {"MB", 1e6},        {"GB", 1e9}};
  auto it = units.find(unit);
  if (used == 0 || it == units.end() || value <= 0) {
    fail(ErrorKind::invalid_input, "--kv-memory: expected a size such as 4GiB or 512MiB, got \"{}\"", text);
  }
  return static_cast<int64_t>(value * it->second);
}

void validate(const RunSettings& s) {
  parse_memory_size(s.kv_memory);
  if (s.limit < 0) fail(ErrorKind::invalid_input, "--limit: expected >= 0, got {}", s.limit);
  if (s.batch_size < 1) fail(ErrorKind::invalid_input, "--batch-size: expected >= 1, got {}", s.batch_size);
  if (s.threads < 0) fail(ErrorKind::invalid_input, "--threads: expected >= 0, got {}", s.threads);
  if (s.samples < 1) fail(ErrorKind::invalid_input, "--samples: expected >= 1, got {}", s.samples);
  if (s.bos != "auto" && s.bos != "on" && s.bos != "off") fail(ErrorKind::invalid_input, "--bos: expected auto, on or off, got \"{}\"", s.bos);
  if (s.parse_special != "on" && s.parse_special != "off")
    fail(ErrorKind::invalid_input, "--parse-special: expected on or off, got \"{}\"", s.parse_special);
  if (s.parse_special == "off" && s.chat_template)
    fail(ErrorKind::invalid_input, "--parse-special off cannot be combined with --chat-template: the template's control "
         "tokens (<|im_start|>, ...) would be read as text");
  if (s.parse_special == "off" && is_remote(s))
    fail(ErrorKind::invalid_input, "--parse-special off: a remote model's server tokenizes the prompts itself");
  if (s.fewshot_as_multiturn && !s.chat_template)
    fail(ErrorKind::invalid_input, "--fewshot-as-multiturn needs --chat-template (as lm-eval's --fewshot_as_multiturn "
         "needs --apply_chat_template)");
  if (s.temperature < 0) fail(ErrorKind::invalid_input, "--temperature: expected >= 0, got {}", s.temperature);
  if (cpu::parse_cpu_gemm(s.cpu_gemm, "--cpu-gemm").onednn && (s.device != "cpu" || is_remote(s)))
    fail(ErrorKind::invalid_input, "--cpu-gemm {}: applies to the embedded CPU engine, not {}", s.cpu_gemm,
         is_remote(s) ? std::string("a remote model") : "--device " + s.device);
  if (s.top_p <= 0 || s.top_p > 1) fail(ErrorKind::invalid_input, "--top-p: expected in (0, 1], got {}", s.top_p);
  if (s.concurrency < 1 || s.concurrency > 1024) fail(ErrorKind::invalid_input, "--concurrency: expected 1..1024, got {}", s.concurrency);
  if (!(s.request_timeout > 0)) fail(ErrorKind::invalid_input, "--request-timeout: expected > 0 seconds, got {}", s.request_timeout);
  if (s.retries < 0 || s.retries > 100) fail(ErrorKind::invalid_input, "--retries: expected 0..100, got {}", s.retries);
  if (s.remote_max_stop < 0) fail(ErrorKind::invalid_input, "--remote-max-stop: expected >= 0, got {}", s.remote_max_stop);
  if (s.remote_api != "completions" && s.remote_api != "chat")
    fail(ErrorKind::invalid_input, "--remote-api: expected completions or chat, got \"{}\"", s.remote_api);
  if (s.remote_logprobs != "echo" && s.remote_logprobs != "prompt_logprobs")
    fail(ErrorKind::invalid_input, "--remote-logprobs: expected echo or prompt_logprobs, got \"{}\"", s.remote_logprobs);
  if (!s.endpoint.empty() && s.remote_model.empty())
    fail(ErrorKind::invalid_input, "--endpoint: also give the served model name with --remote-model NAME");
  if (is_remote(s) && s.chat_template && s.remote_api == "chat")
    fail(ErrorKind::invalid_input, "--chat-template with --remote-api chat: the server applies its own chat template; drop one");
  if (!s.shard.empty()) {
    int i = 0, n = 0;
    char slash = 0;
    std::stringstream ss(s.shard);
    if (!(ss >> i >> slash >> n) || slash != '/' || n < 1 || i < 1 || i > n || !ss.eof()) {
      fail(ErrorKind::invalid_input, "--shard: expected I/N with 1 <= I <= N, got \"{}\"", s.shard);
    }
  }
}

bool is_remote(const RunSettings& s) { return !s.endpoint.empty() || engine::remote::is_remote_spec(s.model); }

void normalize_remote(RunSettings& s) {
  if (!s.endpoint.empty()) {
    s.model = engine::remote::make_endpoint(s.endpoint, s.remote_model, "--endpoint").spec();
    s.endpoint.clear();
    s.remote_model.clear();
  } else if (engine::remote::is_remote_spec(s.model)) {
    s.model = engine::remote::parse_model_spec(s.model).spec();
  }
}

}  // namespace ys::runner
