// oneDNN's matrix products at the engine's matmul shapes (SmolLM2-135M and Llama-3-8B;
// t = 1 decode, 16/128/512 prefill-like), on the same inputs as the engine's benchmarks
// (bench_weights.h) and checked like them against the fp64 reference before timing:
//  * "onednn/f32|bf16|int8/<rows>x<cols>/t<n>": cpu::OnednnProduct, the vendor's way (one
//    primitive for exactly n tokens, oneDNN's OpenMP threads, as many as the pool has).
//    bf16 multiplies the engine's bf16 weights; f32 and int8 the engine's f32 weights (int8:
//    converted to symmetric int8 per row).
//  * "onednn-fixed/bf16/...": cpu::OnednnMatrix, the batch-invariant tiles that
//    `--cpu-gemm onednn` runs in the engine, on the benchmark pool.
// bf16 and int8 are registered only where onednn_native() says the CPU has the instructions.
// Each also registers the engine benchmarks it is shown next to (onednn_table.cpp).
#include "engine/backend/cpu/onednn_gemm.h"
#include "engine/quant/quant.h"
#include "engine/quant/reference.h"
#include "suites/kernels/bench_weights.h"
#include "suites/kernels/kernel_bench.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <memory>
#include <vector>

namespace ys::kernels {
namespace {

using cpu::OnednnType;
using quant::Type;

const int64_t kToks[] = {1, 16, 128, 512};

Type weight_type(OnednnType t) { return t == OnednnType::bf16 ? Type::bf16 : Type::f32; }

// Symmetric int8 scale of n values, as onednn_gemm.cpp computes it.
double s8_scale(const float* v, int64_t n) {
  float amax = 0.0f;
  for (int64_t i = 0; i < n; ++i) amax = std::max(amax, std::fabs(v[i]));
  return double(amax / 127.0f);
}

// Sampled rows of every 5th token against the fp64 dot product on W's stored values and
// the f32 activations. Bounds (|err| <=), from the formats:
//  * f32: cols * 2^-24 * sum|w x| (recursive summation in any order);
//  * bf16: each x rounded to bf16 moves the product by <= 2^-9 |w x|, plus the f32 sums;
//  * int8: w = sw*qw + ew, x = sx*qx + ex with |ew| <= sw/2, |ex| <= sx/2 (round to
//    nearest; x1.0002 for the float scaling), so |w x - sw sx qw qx| <= |w| sx/2 +
//    |x| sw/2 + sw sx/4 per term; the int32 sums are exact, plus 4 roundings of the result.
std::string check(OnednnType t, const Weights& w, const std::vector<float>& x, int64_t n_tok,
                  const std::vector<float>& y) {
  const int64_t cols = w.cols;
  const size_t rb = quant::row_bytes(w.type, uint64_t(cols));
  const int64_t step = std::max<int64_t>(1, w.rows / 61), tstep = std::max<int64_t>(1, n_tok / 5);
  const double u = std::ldexp(1.0, -24);
  std::vector<float> wrow(static_cast<size_t>(cols));
  for (int64_t r = 0; r < w.rows; r += step) {
    const void* row = w.data.data() + rb * static_cast<size_t>(r);
    quant::dequantize_row(w.type, row, wrow.data(), cols);
    const double sw = s8_scale(wrow.data(), cols);
    for (int64_t tk = 0; tk < n_tok; tk += tstep) {
      const float* xt = x.data() + tk * cols;
      const double ref = quant::dot_f64(w.type, row, xt, cols), mag = quant::abs_dot_f64(w.type, row, xt, cols);
      double tol = double(cols) * u * mag;
      if (t == OnednnType::bf16) tol += std::ldexp(1.0, -9) * mag * (1 + double(cols) * u);
      if (t == OnednnType::s8) {
        const double sx = s8_scale(xt, cols);
        double b = 0;
        for (int64_t k = 0; k < cols; ++k)
          b += (std::fabs(double(wrow[size_t(k)])) * sx + std::fabs(double(xt[k])) * sw) * 0.5001 + sw * sx * 0.2501;
        tol = b + 4 * u * (mag + b);
      }
      const double got = y[static_cast<size_t>(tk * w.rows + r)];
      if (!(std::fabs(got - ref) <= tol + 1e-30))
        return fmt::format("mismatch at row {} token {}: got {} want {} (tol {})", r, tk, got, ref, tol);
    }
  }
  return {};
}

void bm_onednn(benchmark::State& st, OnednnType t, const MatmulShape& s, int64_t n_tok, bool fixed) {
  const Weights& w = weights_for(weight_type(t), s.rows, s.cols);
  std::vector<float> x(static_cast<size_t>(n_tok * s.cols)), y(static_cast<size_t>(n_tok * s.rows));
  fill_uniform(x.data(), x.size(), 99 + uint64_t(n_tok));  // the engine benchmarks' inputs
  cpu::ThreadPool& pool = bench_pool();
  std::unique_ptr<cpu::OnednnProduct> prod;
  std::unique_ptr<cpu::OnednnMatrix> mat;
  try {
    if (fixed) mat = std::make_unique<cpu::OnednnMatrix>(w.view(cpu::ActPrecision::f32), t);
    else prod = std::make_unique<cpu::OnednnProduct>(w.view(cpu::ActPrecision::f32), t, n_tok, pool.size());
  } catch (const std::exception& e) {
    st.SkipWithError(e.what());
    return;
  }
  auto run = [&] {
    if (fixed) mat->run(x.data(), n_tok, y.data(), pool);
    else prod->run(x.data(), y.data());
  };
  run();
  if (const std::string err = check(t, w, x, n_tok, y); !err.empty()) {
    st.SkipWithError(err.c_str());
    return;
  }
  for (auto _ : st) {
    run();
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  st.SetLabel(fixed ? mat->impl() : prod->impl());
  const double es = t == OnednnType::f32 ? 4 : t == OnednnType::bf16 ? 2 : 1;
  const double bytes = es * double(s.rows) * double(s.cols), flops = 2.0 * double(s.rows * s.cols) * double(n_tok);
  const double it = double(st.iterations());
  const Peaks& p = bench_peaks();
  const double peak = t == OnednnType::s8 ? p.vnni_ops_per_s : p.fma_flops_per_s;
  using C = benchmark::Counter;
  st.counters["bytes_per_second"] = C(bytes * it, C::kIsRate, C::kIs1000);
  st.counters["flops"] = C(flops * it, C::kIsRate, C::kIs1000);
  if (p.triad_bytes_per_s > 0) st.counters["bw_frac"] = C(bytes * it / p.triad_bytes_per_s, C::kIsRate);
  if (peak > 0) st.counters["flop_frac"] = C(flops * it / peak, C::kIsRate);
}

void register_one(const MatmulShape& s, OnednnType t, int64_t n_tok, bool fixed) {
  const std::string name =
      fmt::format("{}/{}/{}x{}/t{}", fixed ? "onednn-fixed" : "onednn", cpu::onednn_type_name(t), s.rows, s.cols, n_tok);
  KernelMeta m;
  m.kind = "onednn-matmul";
  m.dtype = std::string(fixed ? "onednn-fixed-" : "onednn-") + cpu::onednn_type_name(t);
  m.shape_json = fmt::format(R"({{"model":"{}","rows":{},"cols":{},"n_tok":{},"onednn":"{}","isa":"{}"}})", s.model,
                             s.rows, s.cols, n_tok, cpu::onednn_version(), cpu::onednn_isa());
  m.bytes = (t == OnednnType::f32 ? 4.0 : t == OnednnType::bf16 ? 2.0 : 1.0) * double(s.rows) * double(s.cols);
  m.flops = 2.0 * double(s.rows) * double(s.cols) * double(n_tok);
  register_meta(name, m);
  register_dims(name, {s.model, s.rows, s.cols, n_tok});
  const MatmulShape shape = s;
  benchmark::RegisterBenchmark(name.c_str(), [t, shape, n_tok, fixed](benchmark::State& st) {
    bm_onednn(st, t, shape, n_tok, fixed);
  })->UseRealTime()->Unit(benchmark::kMicrosecond);
}

}  // namespace

void register_onednn_benchmarks(const BenchConfig&) {
  // bf16 and int8 only where the CPU has instructions for them (oneDNN emulates the rest).
  const bool bf16 = cpu::onednn_native(OnednnType::bf16), int8 = cpu::onednn_native(OnednnType::s8);
  std::vector<MatmulShape> shapes = smollm2_shapes();
  shapes.insert(shapes.end(), llama8b_shapes().begin(), llama8b_shapes().end());
  for (const MatmulShape& s : shapes) {
    // Grouped by weight type (one weight matrix is cached at a time), each next to the
    // engine's counterparts.
    for (int64_t n : kToks) {
      register_matmul(s, Type::f32, n, cpu::ActPrecision::int8);
      register_one(s, OnednnType::f32, n, false);
      if (int8) register_one(s, OnednnType::s8, n, false);
    }
    for (int64_t n : kToks) {
      register_matmul(s, Type::bf16, n, cpu::ActPrecision::int8);
      if (!bf16) continue;
      register_one(s, OnednnType::bf16, n, false);
      register_one(s, OnednnType::bf16, n, true);
    }
    for (int64_t n : kToks) register_matmul(s, Type::q8_0, n, cpu::ActPrecision::int8);
    for (int64_t n : kToks) register_matmul(s, Type::q4_1, n, cpu::ActPrecision::f32);
  }
}

}  // namespace ys::kernels
