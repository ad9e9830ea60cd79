#include "suites/kernels/reporter.h"

#include "suites/kernels/kernel_bench.h"

namespace ys::kernels {
namespace {

std::optional<double> counter(const benchmark::BenchmarkReporter::Run& r, const char* key) {
  auto it = r.counters.find(key);
  if (it == r.counters.end()) return std::nullopt;
  return double(it->second.value);
}

}  // namespace

void CollectingReporter::ReportRuns(const std::vector<Run>& runs) {
  for (const Run& r : runs) {
    if (r.run_type != Run::RT_Iteration) continue;  // aggregates (mean/median) are derived
    KernelResult k;
    k.name = r.run_name.function_name;
    if (const KernelMeta* m = find_meta(k.name)) k.kind = m->kind, k.dtype = m->dtype, k.shape_json = m->shape_json;
    k.iterations = int64_t(r.iterations);
    if (r.error_occurred) {
      k.error = r.error_message;
    } else {
      k.ns_per_iter = r.real_accumulated_time * 1e9 / double(std::max<int64_t>(1, k.iterations));
      k.bytes_per_s = counter(r, "bytes_per_second");
      k.flops_per_s = counter(r, "flops");
      k.peak_fraction = counter(r, "bw_frac");
      if (auto f = counter(r, "flop_frac"); f && (!k.peak_fraction || *f > *k.peak_fraction)) k.peak_fraction = f;
    }
    results_.push_back(std::move(k));
  }
  benchmark::ConsoleReporter::ReportRuns(runs);
}

}  // namespace ys::kernels
