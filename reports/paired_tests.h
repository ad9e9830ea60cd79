// Paired significance tests on per-sample records two runs share (same doc ids).
//
//   mcnemar_exact_p(b, c): exact two-sided McNemar test for 0/1 outcomes, where
//     b = documents right in the baseline and wrong in the candidate, c = the reverse.
//     p = min(1, 2 * sum_{k=0..min(b,c)} C(b+c, k) / 2^(b+c)); p = 1 when b + c = 0.
//   paired_binary: McNemar p plus a Wald interval of the mean paired difference.
//   paired_bootstrap: resamples documents with replacement (PyRandom(seed), the same
//     draws on every platform) and recomputes delta = stat(candidate) - stat(baseline)
//     on each resample; CI = the 2.5/97.5 percentiles, two-sided
//     p = min(1, 2 * min(#(delta* <= 0), #(delta* >= 0)) / reps).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace ys::reports {

inline constexpr int kBootstrapReps = 1000;
inline constexpr uint64_t kBootstrapSeed = 1234;

struct PairedResult {
  size_t n = 0;          // shared documents
  double delta = 0;      // candidate - baseline, in the metric's units
  double ci_lo = 0;      // 95% interval of delta
  double ci_hi = 0;
  double p = 1;          // two-sided
  std::string test;      // "mcnemar-exact" | "paired-bootstrap" | "none"
  int64_t b = 0;         // McNemar: baseline right, candidate wrong
  int64_t c = 0;         // McNemar: baseline wrong, candidate right
};

double mcnemar_exact_p(int64_t b, int64_t c);

// True when every value is exactly 0 or 1.
bool is_binary(const std::vector<double>& xs);

// base[i] and cand[i] are the 0/1 scores of shared document i.
PairedResult paired_binary(const std::vector<double>& base, const std::vector<double>& cand);

// stat(indices, which) returns the statistic of the resample for which = 0 (baseline)
// or 1 (candidate). The identity resample (0..n-1) gives the point estimate.
using ResampleStat = std::function<double(const std::vector<size_t>& idx, int which)>;
PairedResult paired_bootstrap(size_t n, const ResampleStat& stat, int reps = kBootstrapReps,
                              uint64_t seed = kBootstrapSeed);

// Mean metrics: paired bootstrap of the mean.
PairedResult paired_mean_bootstrap(const std::vector<double>& base, const std::vector<double>& cand,
                                   int reps = kBootstrapReps, uint64_t seed = kBootstrapSeed);

}  // namespace ys::reports
