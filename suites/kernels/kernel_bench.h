// Registration of the kernel microbenchmarks (Google Benchmark) and their metadata.
//
// Names: "matmul/<type>/<rows>x<cols>/t<n_tok>", "attn/<model>/decode<ctx>",
// "attn/<model>/prefill<n>", "rmsnorm/<dim>/t<n>", "rope/...", "softmax/<n>",
// "swiglu/<n>", "peak/triad", "peak/fma", "peak/vnni", and oneDNN's products at the matmul
// shapes: "onednn/<f32|bf16|int8>/<rows>x<cols>/t<n_tok>" (the vendor's way) and
// "onednn-fixed/bf16/..." (the batch-invariant tiles of --cpu-gemm onednn), see
// onednn_bench.cpp. Each kernel is checked against its
// reference (engine/quant/reference.h or a naive double loop) before it is timed; a
// mismatch aborts that benchmark with SkipWithError (its row then says ERROR).
// Counters: bytes_per_second (weight/array bytes read per second), flops (per second),
// bw_frac / flop_frac: fractions of the measured peaks (peaks.h).
#pragma once

#include "engine/backend/cpu/matmul.h"
#include "engine/backend/cpu/thread_pool.h"
#include "engine/quant/types.h"
#include "suites/kernels/peaks.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ys::kernels {

struct BenchConfig {
  int threads = 0;       // 0 = all cores
  bool full = false;     // also the Llama-3-8B shapes and n_tok 64/512 everywhere
  bool quick_peaks = false;
};

struct KernelMeta {
  std::string kind;        // matmul | attention | rmsnorm | rope | softmax | swiglu | peak
  std::string dtype;       // weight type or "f32"
  std::string shape_json;  // {"rows":..,"cols":..,"n_tok":..} etc.
  double bytes = 0;        // bytes read per iteration (weights, or arrays)
  double flops = 0;        // flops (or int ops) per iteration
};

// Matrix-product benchmarks also record the model whose shape they run, W's rows x cols
// and the tokens per product (for the side-by-side table).
struct MatmulDims {
  std::string model;
  int64_t rows = 0, cols = 0, n_tok = 0;
};

// A weight matrix shape of a real model (rows = outputs, cols = inputs).
struct MatmulShape {
  const char* model;
  int64_t rows, cols;
};
const std::vector<MatmulShape>& smollm2_shapes();  // SmolLM2-135M: q/o, k/v, gate/up, down, output
const std::vector<MatmulShape>& llama1b_shapes();
const std::vector<MatmulShape>& llama8b_shapes();

// The pool every benchmark uses and the peaks measured at start (set by register_all).
cpu::ThreadPool& bench_pool();
const Peaks& bench_peaks();

// Measures the peaks, then registers every benchmark. Call once, before
// benchmark::RunSpecifiedBenchmarks.
void register_all(const BenchConfig& cfg);
// Metadata of a registered benchmark by its name (without "/real_time" etc.); null if unknown.
const KernelMeta* find_meta(const std::string& name);

// The default filter (no --full, no filter given): the Llama-3-8B shapes left out.
const char* default_filter();
// A benchmark filter widened so that the engine benchmarks shown next to each selected
// oneDNN benchmark in onednn_table() run too (the filter itself when it selects no oneDNN
// benchmark, is negative or is not a valid extended regex).
std::string with_engine_partners(const std::string& filter);
struct KernelResult;
// The side-by-side table of oneDNN and the engine (Markdown), from the results of a run;
// empty when the run had no oneDNN result.
std::string onednn_table(const std::vector<KernelResult>& results);

// Internal registration helpers (one file each).
void register_meta(const std::string& name, KernelMeta meta);
void register_dims(const std::string& name, MatmulDims dims);
const MatmulDims* find_dims(const std::string& name);
std::vector<std::string> registered_names();
void register_matmul_benchmarks(const BenchConfig& cfg);
// One engine matmul benchmark (no-op when already registered) and its name.
void register_matmul(const MatmulShape& s, quant::Type t, int64_t n_tok, cpu::ActPrecision act);
std::string matmul_bench_name(quant::Type t, const MatmulShape& s, int64_t n_tok, cpu::ActPrecision act);
void register_onednn_benchmarks(const BenchConfig& cfg);
void register_op_benchmarks(const BenchConfig& cfg);
void register_peak_benchmarks();

}  // namespace ys::kernels
