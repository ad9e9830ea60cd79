#include "suites/kernels/peaks.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace ys::kernels {
namespace detail {
double fma_loop_avx512(int64_t iters);
double vnni_loop_avx512(int64_t iters);
}  // namespace detail

namespace {

using Clock = std::chrono::steady_clock;

bool have_avx512f() { return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"); }

// Scalar fallback: 8 independent accumulators (the compiler may vectorise nothing here).
double fma_loop_scalar(int64_t iters) {
  float acc[8];
  for (int i = 0; i < 8; ++i) acc[i] = float(i);
  for (int64_t it = 0; it < iters; ++it)
    for (int i = 0; i < 8; ++i) acc[i] = std::fma(acc[i], 0.999999f, 1e-7f);
  volatile float sink = acc[0] + acc[7];
  (void)sink;
  return double(iters) * 8 * 2;
}

// Rate of `loop` run on every thread of the pool at once, best of `reps`.
template <typename Loop>
double parallel_rate(cpu::ThreadPool& pool, Loop loop, int64_t iters, int reps) {
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    std::vector<double> work(static_cast<size_t>(pool.size()), 0.0);
    const auto t0 = Clock::now();
    pool.parallel_for(pool.size(), [&](int64_t b, int64_t e, int) {
      for (int64_t i = b; i < e; ++i) work[static_cast<size_t>(i)] = loop(iters);
    });
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    double total = 0;
    for (double w : work) total += w;
    best = std::max(best, total / s);
  }
  return best;
}

}  // namespace

bool have_avx512_vnni() { return have_avx512f() && __builtin_cpu_supports("avx512vnni"); }

double fma_loop(int64_t iters) { return have_avx512f() ? detail::fma_loop_avx512(iters) : fma_loop_scalar(iters); }
double vnni_loop(int64_t iters) { return have_avx512_vnni() ? detail::vnni_loop_avx512(iters) : 0.0; }

double triad_seconds(cpu::ThreadPool& pool, float* a, const float* b, const float* c, int64_t n) {
  const float s = 3.0f;
  const auto t0 = Clock::now();
  pool.parallel_for(n, [&](int64_t lo, int64_t hi, int) {
    for (int64_t i = lo; i < hi; ++i) a[i] = b[i] + s * c[i];
  });
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

Peaks measure_peaks(cpu::ThreadPool& pool, int64_t triad_mib) {
  Peaks p;
  p.threads = pool.size();
  const int64_t n = triad_mib * 1024 * 1024 / int64_t(sizeof(float));
  std::vector<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n), 1.0f), c(static_cast<size_t>(n), 2.0f);
  triad_seconds(pool, a.data(), b.data(), c.data(), n);  // touch the pages first
  double best = 1e30;
  for (int r = 0; r < 5; ++r) best = std::min(best, triad_seconds(pool, a.data(), b.data(), c.data(), n));
  p.triad_bytes_per_s = 3.0 * double(n) * sizeof(float) / best;
  p.fma_flops_per_s = parallel_rate(pool, fma_loop, 2'000'000, 3);
  p.vnni_ops_per_s = have_avx512_vnni() ? parallel_rate(pool, vnni_loop, 2'000'000, 3) : 0.0;
  return p;
}

}  // namespace ys::kernels
