// yardstick-kernels: the kernel microbenchmarks as a plain Google Benchmark binary
// (--benchmark_filter, --benchmark_format=json, ...). The Llama-3-8B shapes run only
// with --full or when a --benchmark_filter is given. Env YS_BENCH_THREADS: pool size.
#include "suites/kernels/kernel_bench.h"

#include <benchmark/benchmark.h>
#include <fmt/core.h>

#include <cstdlib>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
  ys::kernels::BenchConfig cfg;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--full") == 0) cfg.full = true;
    else args.push_back(argv[i]);
  }
  bool filtered = false;
  for (char* a : args) filtered |= std::strncmp(a, "--benchmark_filter", 18) == 0;
  if (const char* t = std::getenv("YS_BENCH_THREADS")) cfg.threads = std::atoi(t);
  int n = int(args.size());
  benchmark::Initialize(&n, args.data());
  if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 2;
  if (!cfg.full && !filtered) benchmark::SetBenchmarkFilter(ys::kernels::default_filter());
  ys::kernels::register_all(cfg);
  const ys::kernels::Peaks& p = ys::kernels::bench_peaks();
  fmt::print(stderr, "peaks ({} threads): triad {:.2f} GB/s, fma {:.1f} GFLOP/s, vnni {:.1f} GOP/s\n", p.threads,
             p.triad_bytes_per_s / 1e9, p.fma_flops_per_s / 1e9, p.vnni_ops_per_s / 1e9);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
