// Engine throughput, as llama-bench measures it: prefill tokens/s (pp: n_prompt token ids
// in one evaluation), decode tokens/s (tg: n_gen tokens one at a time from an empty
// cache), time to first token (the prefill of n_prompt tokens up to the first logits) and
// peak resident memory, each over `repetitions` runs after one warm-up.
#pragma once

#include "engine/model/model.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ys::perf {

struct EngineBenchConfig {
  std::string model_path;
  std::optional<std::string> quant;  // re-quantize at load (LoadOptions::quant)
  std::string activations = "f32";   // LoadOptions::activations
  int threads = 0;                   // 0 = all cores
  int n_prompt = 512;                // 0 = skip pp
  int n_gen = 128;                   // 0 = skip tg
  int repetitions = 5;
  std::string cpu_gemm = "engine";   // LoadOptions::cpu_gemm
};

struct Stat {
  std::string name;  // "pp512", "tg128", "ttft512"
  std::string unit;  // "tok/s", "ms"
  std::vector<double> values;
  double median = 0, mean = 0, stddev = 0, min = 0, max = 0;
};
Stat summarize(std::string name, std::string unit, std::vector<double> values);

struct EngineBenchResult {
  engine::ModelInfo info;
  uint64_t size_bytes = 0;  // bytes of the weights as computed with (after any --quant)
  uint64_t n_params = 0;
  std::vector<Stat> stats;
  int64_t peak_rss_bytes = 0;
  double load_s = 0;
};

// Throws ys::Error for a bad model file or flag values. `progress` gets one line per step.
EngineBenchResult run_engine_bench(const EngineBenchConfig& cfg,
                                   const std::function<void(const std::string&)>& progress = nullptr);

// The llama-bench style table ("| model | size | params | backend | threads | test | t/s |").
std::string format_table(const EngineBenchResult& r);

}  // namespace ys::perf
