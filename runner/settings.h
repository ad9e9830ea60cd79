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
  bool chat_template = false;
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

}  // namespace ys::runner
