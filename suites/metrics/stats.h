// Aggregation helpers with lm-eval's exact formulas (PROTOCOLS.md §1.5,
// lm_eval/api/metrics.py). Sums are sequential in input order, as Python's sum().
#pragma once

#include <cstdint>
#include <vector>

namespace ys::metrics {

// sum(xs)/len(xs); NaN for an empty input.
double mean(const std::vector<double>& xs);
// sqrt(sum((x-mean)^2)/(n-1)) (Bessel); NaN when n < 2.
double sample_stddev(const std::vector<double>& xs);
// sample_stddev / sqrt(n) (lm-eval mean_stderr); NaN when n < 2.
double mean_stderr(const std::vector<double>& xs);

// lm-eval pooled_sample_stderr for size-weighted groups:
// sqrt( [sum((n_i-1)*se_i^2*n_i) / (N-k)] / N ), N = sum n_i, k = number of tasks.
// NaN if the sizes are inconsistent (different lengths, N <= k).
double pooled_sample_stderr(const std::vector<double>& stderrs, const std::vector<int64_t>& sizes);

// Size-weighted (micro) mean: sum(score_i*n_i)/sum(n_i); NaN if sum(n_i) == 0.
double weighted_mean(const std::vector<double>& scores, const std::vector<int64_t>& sizes);

}  // namespace ys::metrics
