// The peaks as benchmarks too, so they appear in the table and the store.
#include "suites/kernels/kernel_bench.h"

#include <benchmark/benchmark.h>

#include <vector>

namespace ys::kernels {

void register_peak_benchmarks() {
  const int64_t n = 32ll * 1024 * 1024;  // 3 x 128 MiB
  register_meta("peak/triad", {"peak", "f32", R"({"n":33554432,"arrays":3})", 12.0 * double(n), 2.0 * double(n)});
  benchmark::RegisterBenchmark("peak/triad", [n](benchmark::State& st) {
    std::vector<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n), 1.0f), c(static_cast<size_t>(n), 2.0f);
    for (auto _ : st) triad_seconds(bench_pool(), a.data(), b.data(), c.data(), n);
    if (a[static_cast<size_t>(n - 1)] != 7.0f) st.SkipWithError("triad result is not 1 + 3*2");
    using C = benchmark::Counter;
    st.counters["bytes_per_second"] = C(12.0 * double(n) * double(st.iterations()), C::kIsRate, C::kIs1000);
  })->UseRealTime()->Unit(benchmark::kMillisecond);

  const int64_t iters = 200000;
  for (const char* which : {"fma", "vnni"}) {
    const bool vnni = which[0] == 'v';
    if (vnni && !have_avx512_vnni()) continue;
    const std::string name = std::string("peak/") + which;
    register_meta(name, {"peak", vnni ? "i8" : "f32", "{}", 0, vnni ? vnni_loop(1) * double(iters) : fma_loop(1) * double(iters)});
    benchmark::RegisterBenchmark(name.c_str(), [vnni, iters](benchmark::State& st) {
      double work = 0;
      cpu::ThreadPool& pool = bench_pool();
      for (auto _ : st) {
        std::vector<double> w(static_cast<size_t>(pool.size()));
        pool.parallel_for(pool.size(), [&](int64_t b, int64_t e, int) {
          for (int64_t i = b; i < e; ++i) w[static_cast<size_t>(i)] = vnni ? vnni_loop(iters) : fma_loop(iters);
        });
        for (double x : w) work += x;
      }
      using C = benchmark::Counter;
      st.counters["flops"] = C(work, C::kIsRate, C::kIs1000);
    })->UseRealTime()->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace ys::kernels
