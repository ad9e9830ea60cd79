// A Google Benchmark reporter that prints the usual console table and also keeps one
// plain result per benchmark run, with the metadata of kernel_bench.h, for the store.
#pragma once

#include <benchmark/benchmark.h>

#include <optional>
#include <string>
#include <vector>

namespace ys::kernels {

struct KernelResult {
  std::string name, kind, dtype, shape_json;
  double ns_per_iter = 0;
  int64_t iterations = 0;
  std::optional<double> bytes_per_s, flops_per_s, peak_fraction;
  std::string error;  // non-empty: the benchmark was skipped (reference mismatch)
};

class CollectingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override;
  const std::vector<KernelResult>& results() const { return results_; }

 private:
  std::vector<KernelResult> results_;
};

}  // namespace ys::kernels
