// Plain records stored in the result database. The store knows nothing about suites or
// the engine: everything suite-specific travels as JSON strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ys::store {

struct RunRecord {
  std::string id;           // set by Store::create_run when empty (random UUID-like id)
  std::string created_at;   // ISO 8601 UTC; set by the store
  std::string finished_at;  // empty while running
  std::string status = "running";  // running | done | failed
  std::string kind = "eval";       // eval | bench | quant
  std::string suite;
  std::string model_path;
  std::string model_sha256;
  std::string quant;
  std::string settings_json = "{}";
  std::string dataset_json = "{}";  // {"relative/file": "sha256", ...}
  std::string protocol_json = "{}";
  std::string protocol_version;
  std::string code_version;
  int64_t seed = 0;
  std::string hardware_id;  // empty: none
  std::string tag;
  std::optional<double> wall_s;
  std::optional<int64_t> tokens;
  std::string error;
};

struct SampleRecord {
  std::string doc_id;
  std::string prompt_hash;
  std::string request_json = "{}";
  std::string output_json = "{}";
  std::string target;
  std::string scores_json = "{}";
  std::string extra_json = "{}";
  std::string created_at;  // set by the store
};

// A document of a run that has no sample because its requests failed (table sample_failures).
struct SampleFailure {
  std::string doc_id;
  std::string error;
  std::string created_at;  // set by the store
};

struct MetricRecord {
  std::string name;
  double value = 0;
  std::optional<double> std_err;  // column `stderr`
  int64_t n = 0;
  bool headline = false;
};

struct HardwareRecord {
  std::string id;  // sha256 of fingerprint_json; computed by upsert_hardware when empty
  std::string fingerprint_json;
  std::string cpu_model;
  int64_t cores = 0;
  int64_t memory_bytes = 0;
  std::string gpu_json = "[]";
  std::string created_at;  // set by the store
};

struct PerfRecord {
  int64_t id = 0;  // set by the store
  std::string run_id;
  std::string name;  // e.g. "decode_tokens_per_s"
  double value = 0;
  std::string unit;  // e.g. "tok/s", "ms", "bytes"
  int64_t repetitions = 1;
  std::optional<double> median;
  std::optional<double> stddev;  // spread across repetitions
  std::string extra_json = "{}";
  std::string created_at;
};

struct KernelRecord {
  int64_t id = 0;
  std::string run_id;       // either run_id or hardware_id (or both) must be set
  std::string hardware_id;
  std::string name;
  std::string shape_json = "{}";
  std::string dtype;
  std::string isa;
  double ns_per_iter = 0;
  std::optional<double> bytes_per_s;
  std::optional<double> flops_per_s;
  std::optional<double> peak_fraction;
  std::string extra_json = "{}";
  std::string created_at;
};

// Filter for Store::list_runs; empty fields match everything.
struct RunFilter {
  std::string suite;   // exact
  std::string model;   // substring of model_path
  std::string status;  // exact
  std::string kind;    // exact
  std::string tag;     // exact
  int64_t limit = 0;   // 0: no limit
};

}  // namespace ys::store
