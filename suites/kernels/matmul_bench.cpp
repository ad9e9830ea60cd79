// matmul at real model shapes, every weight type, GEMV (n_tok 1) and GEMM (n_tok > 1).
// Quantized types run with both activation precisions (matmul.h): "matmul/q4_0/..." is
// int8 activations (integer dots, as llama.cpp), "matmul/q4_0+f32act/..." the engine's
// default f32 activations.
#include "engine/backend/cpu/matmul.h"
#include "engine/quant/quant.h"
#include "engine/quant/reference.h"
#include "suites/kernels/bench_weights.h"
#include "suites/kernels/kernel_bench.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <vector>

namespace ys::kernels {
namespace {

using quant::Type;

const Type kTypes[] = {Type::f32,  Type::f16,  Type::bf16, Type::q8_0, Type::q4_0, Type::q4_1,
                       Type::q5_0, Type::q5_1, Type::q4_k, Type::q5_k, Type::q6_k};

// Checks sampled rows of every token against the fp64 reference with the bounds of
// engine/backend/cpu/matmul.h (loosened 4x for quantized weights). Empty when it agrees.
std::string check(const Weights& w, const std::vector<float>& x, int64_t n_tok, const std::vector<float>& y,
                  cpu::ActPrecision act) {
  const bool is_float =
      w.type == Type::f32 || w.type == Type::f16 || w.type == Type::bf16 || act == cpu::ActPrecision::f32;
  const size_t rb = quant::row_bytes(w.type, uint64_t(w.cols));
  const int64_t step = std::max<int64_t>(1, w.rows / 61);
  const int64_t tstep = std::max<int64_t>(1, n_tok / 5);
  for (int64_t t = 0; t < n_tok; t += tstep) {
    for (int64_t r = 0; r < w.rows; r += step) {
      const void* row = w.data.data() + rb * static_cast<size_t>(r);
      const float* xt = x.data() + t * w.cols;
      const double ref = quant::dot_f64(w.type, row, xt, w.cols);
      const double mag = quant::abs_dot_f64(w.type, row, xt, w.cols);
      const double tol = is_float ? (double(w.cols) / 16 + 4) * std::ldexp(1.0, -24) * mag + 1e-30 : 4e-3 * mag + 1e-6;
      const double got = y[static_cast<size_t>(t * w.rows + r)];
      if (!(std::fabs(got - ref) <= tol))
        return fmt::format("mismatch at row {} token {}: got {} want {} (tol {})", r, t, got, ref, tol);
    }
  }
  return {};
}

void bm_matmul(benchmark::State& st, Type t, int64_t rows, int64_t cols, int64_t n_tok, cpu::ActPrecision act) {
  const Weights& w = weights_for(t, rows, cols);
  std::vector<float> x(static_cast<size_t>(n_tok * cols)), y(static_cast<size_t>(n_tok * rows));
  fill_uniform(x.data(), x.size(), 99 + uint64_t(n_tok));
  cpu::ThreadPool& pool = bench_pool();
  cpu::matmul(w.view(act), x.data(), n_tok, y.data(), pool);
  if (const std::string err = check(w, x, n_tok, y, act); !err.empty()) {
    st.SkipWithError(err.c_str());
    return;
  }
  for (auto _ : st) {
    cpu::matmul(w.view(act), x.data(), n_tok, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double bytes = double(w.data.size()), flops = 2.0 * double(rows) * double(cols) * double(n_tok);
  const double it = double(st.iterations());
  const Peaks& p = bench_peaks();
  using C = benchmark::Counter;
  st.counters["bytes_per_second"] = C(bytes * it, C::kIsRate, C::kIs1000);
  st.counters["flops"] = C(flops * it, C::kIsRate, C::kIs1000);
  if (p.triad_bytes_per_s > 0) st.counters["bw_frac"] = C(bytes * it / p.triad_bytes_per_s, C::kIsRate);
  if (p.fma_flops_per_s > 0) st.counters["flop_frac"] = C(flops * it / p.fma_flops_per_s, C::kIsRate);
}

}  // namespace

std::string matmul_bench_name(Type t, const MatmulShape& s, int64_t n_tok, cpu::ActPrecision act) {
  const bool f32act = act == cpu::ActPrecision::f32 && !(t == Type::f32 || t == Type::f16 || t == Type::bf16);
  return fmt::format("matmul/{}{}/{}x{}/t{}", quant::name(t), f32act ? "+f32act" : "", s.rows, s.cols, n_tok);
}

void register_matmul(const MatmulShape& s, Type t, int64_t n_tok, cpu::ActPrecision act) {
  const bool f32act = act == cpu::ActPrecision::f32;
  const std::string dtype = std::string(quant::name(t)) + (f32act ? "+f32act" : "");
  const std::string name = matmul_bench_name(t, s, n_tok, act);
  if (find_meta(name) != nullptr) return;  // already registered
  KernelMeta m;
  m.kind = "matmul";
  m.dtype = dtype;
  m.shape_json = fmt::format(R"({{"model":"{}","rows":{},"cols":{},"n_tok":{},"activations":"{}"}})", s.model, s.rows,
                             s.cols, n_tok, f32act ? "f32" : "int8");
  m.bytes = double(quant::row_bytes(t, uint64_t(s.cols)) * uint64_t(s.rows));
  m.flops = 2.0 * double(s.rows) * double(s.cols) * double(n_tok);
  register_meta(name, m);
  register_dims(name, {s.model, s.rows, s.cols, n_tok});
  const int64_t rows = s.rows, cols = s.cols;
  benchmark::RegisterBenchmark(name.c_str(), [t, rows, cols, n_tok, act](benchmark::State& st) {
    bm_matmul(st, t, rows, cols, n_tok, act);
  })->UseRealTime()->Unit(benchmark::kMicrosecond);
}

const std::vector<MatmulShape>& smollm2_shapes() {
  static const std::vector<MatmulShape> v = {{"smollm2-135m", 576, 576},
                                             {"smollm2-135m", 192, 576},
                                             {"smollm2-135m", 1536, 576},
                                             {"smollm2-135m", 576, 1536},
                                             {"smollm2-135m", 49152, 576}};
  return v;
}

const std::vector<MatmulShape>& llama1b_shapes() {
  static const std::vector<MatmulShape> v = {{"llama-3.2-1b", 2048, 2048},
                                             {"llama-3.2-1b", 512, 2048},
                                             {"llama-3.2-1b", 8192, 2048},
                                             {"llama-3.2-1b", 2048, 8192}};
  return v;
}

const std::vector<MatmulShape>& llama8b_shapes() {
  static const std::vector<MatmulShape> v = {{"llama-3-8b", 4096, 4096},
                                             {"llama-3-8b", 1024, 4096},
                                             {"llama-3-8b", 14336, 4096},
                                             {"llama-3-8b", 4096, 14336}};
  return v;
}

void register_matmul_benchmarks(const BenchConfig& cfg) {
  std::vector<MatmulShape> shapes = smollm2_shapes();
  shapes.insert(shapes.end(), llama1b_shapes().begin(), llama1b_shapes().end());
  shapes.insert(shapes.end(), llama8b_shapes().begin(), llama8b_shapes().end());
  for (const MatmulShape& s : shapes) {
    const bool small = std::string(s.model) == "smollm2-135m" && s.rows < 49152;
    for (Type t : kTypes) {
      if (s.cols % int64_t(quant::traits(t).block_size) != 0) continue;  // e.g. K-quants at 576 columns
      std::vector<int64_t> toks = {1, 16};
      if (cfg.full) toks = {1, 16, 64, 512};
      else if (small) toks.push_back(512);
      const bool quantized = !(t == Type::f32 || t == Type::f16 || t == Type::bf16);
      for (int64_t n : toks) {
        register_matmul(s, t, n, cpu::ActPrecision::int8);
        if (quantized) register_matmul(s, t, n, cpu::ActPrecision::f32);
      }
    }
  }
}

}  // namespace ys::kernels
