// One struct for everything `yardstick run` is told, from flags or a JSON config file.
// Flags given on the command line win over the config; unknown or duplicate config keys
// are errors (STYLE.md: no permissive config loading).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ys::runner {

struct RunSettings {
  std::string model;                 // path to a GGUF file
  std::vector<std::string> suites;   // e.g. {"mmlu", "gsm8k"}
  int64_t limit = 0;                 // documents per suite (0 = all)
  int64_t limit_per_subject = 0;     // MMLU: documents per subject (0 = all)
  int num_fewshot = -1;              // -1 = the protocol's default
  std::string quant;                 // "" = the file's own types
  std::string activations = "f32";   // f32 (exact) | int8 (LoadOptions::activations)
  int threads = 0;                   // 0 = all cores
  int batch_size = 16;               // documents per engine call
  uint64_t seed = 1234;
  std::string bos = "auto";          // auto|on|off
  bool chat_template = false;        // lm-eval --apply_chat_template
  bool fewshot_as_multiturn = false; // lm-eval --fewshot_as_multiturn (needs chat_template)
  std::string system_instruction;    // lm-eval --system_instruction ("" = none)
  std::string parse_special = "on";  // on|off: special-token text in prompts (LoadOptions::parse_special)
  std::string subjects;              // MMLU: comma-separated subjects ("" = all 57)
  std::string db;                    // result store path
  std::string data_dir;
  std::string tag;
  std::string resume;                // run id to continue
  std::string shard;                 // "I/N", 1-based
  int samples = 1;                   // generations per document (HumanEval pass@k)
  double temperature = 0.0;
  double top_p = 1.0;
  bool unsafe_no_sandbox = false;
  std::string baseline_quant;        // quant suite
  std::string text_file;             // quant suite corpus
  std::string device = "cpu";
  std::string kv_memory = "2GiB";    // KV cache budget, e.g. 4GiB, 512MiB
  bool no_prefix_cache = false;
  bool deterministic = false;        // CUDA: batch-invariant kernels (CPU: always so)
  std::string kv_type = "f32";       // key/value cache precision: f32 | f16
  // Remote models (engine/remote, docs/remote.md): --model openai:URL#MODEL or these two.
  std::string endpoint;              // OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1
  std::string remote_model;          // the served model name
  std::string api_key_env;           // name of the environment variable holding the key (never the key)
  std::string remote_api = "completions";  // completions | chat (generation)
  std::string remote_logprobs = "echo";    // echo | prompt_logprobs (vLLM)
  int remote_max_stop = 0;           // stop strings sent per request (0 = all); text is cut locally anyway
  bool remote_one_prompt = false;    // loglikelihood: one prompt per request (servers without prompt lists)
  std::string remote_extra;          // JSON object merged into every request (e.g. {"repeat_penalty": 1.0})
  int concurrency = 8;               // requests in flight
  double request_timeout = 300;      // seconds per request
  int retries = 6;                   // tries after the first on 429/5xx/timeouts/dropped connections
  bool no_cache = false;             // do not answer from the store's response cache
  double price_in = -1;              // $ per 1M prompt tokens (-1: unknown)
  double price_out = -1;             // $ per 1M completion tokens
  std::string price_file;            // JSON {"MODEL": {"in": $, "out": $}, "*": {...}}
  std::string cpu_gemm = "engine";   // engine | onednn (LoadOptions::cpu_gemm)

  nlohmann::json to_json() const;
};

// Declares every run flag on `app`, bound to `s`.
void add_run_flags(CLI::App& app, RunSettings& s, std::string& config_path);
// Fills fields from a JSON config file unless the flag was given on the command line.
// Throws ys::Error naming the file and key on unknown keys, duplicates or wrong types.
void apply_config_file(const std::string& path, const CLI::App& app, RunSettings& s);
// Parses a JSON text, rejecting duplicate keys at any depth (used for config files).
nlohmann::json parse_json_strict(const std::string& text, const std::string& source_name);
// Settings from a stored settings JSON (the run record); unknown keys are errors.
RunSettings settings_from_json(const nlohmann::json& j, const std::string& source_name);
// Parses "4GiB", "512MiB", "1G", "1000000" (bytes). Throws ys::Error(invalid_input) naming --kv-memory.
int64_t parse_memory_size(const std::string& text);
// Validates values (ranges, enumerations, shard syntax). Throws ys::Error(invalid_input).
void validate(const RunSettings& s);
// True when the settings name a remote model (--model openai:... or --endpoint).
bool is_remote(const RunSettings& s);
// --endpoint URL --remote-model NAME becomes --model openai:URL#NAME (the one spelling
// stored with a run). Throws ys::Error(invalid_input) for a bad URL or a missing name.
void normalize_remote(RunSettings& s);

}  // namespace ys::runner
