// Registration of the kernel microbenchmarks (Google Benchmark) and their metadata.
//
// Names: "matmul/<type>/<rows>x<cols>/t<n_tok>", "attn/<model>/decode<ctx>",
// "attn/<model>/prefill<n>", "rmsnorm/<dim>/t<n>", "rope/...", "softmax/<n>",
// "swiglu/<n>", "peak/triad", "peak/fma", "peak/vnni". Each kernel is checked against its
// reference (engine/quant/reference.h or a naive double loop) before it is timed; a
// mismatch aborts that benchmark with SkipWithError (its row then says ERROR).
// Counters: bytes_per_second (weight/array bytes read per second), flops (per second),
// bw_frac / flop_frac: fractions of the measured peaks (peaks.h).
#pragma once

#include "engine/backend/cpu/thread_pool.h"
#include "suites/kernels/peaks.h"

#include <cstdint>
#include <string>

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

// The pool every benchmark uses and the peaks measured at start (set by register_all).
cpu::ThreadPool& bench_pool();
const Peaks& bench_peaks();

// Measures the peaks, then registers every benchmark. Call once, before
// benchmark::RunSpecifiedBenchmarks.
void register_all(const BenchConfig& cfg);
// Metadata of a registered benchmark by its name (without "/real_time" etc.); null if unknown.
const KernelMeta* find_meta(const std::string& name);

// Internal registration helpers (one file each).
void register_meta(const std::string& name, KernelMeta meta);
void register_matmul_benchmarks(const BenchConfig& cfg);
void register_op_benchmarks(const BenchConfig& cfg);
void register_peak_benchmarks();

}  // namespace ys::kernels
