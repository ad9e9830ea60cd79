#include "suites/metrics/stats.h"

#include <cmath>
#include <limits>

namespace ys::metrics {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

double mean(const std::vector<double>& xs) {
  if (xs.empty()) return kNaN;
  double s = 0.0;
  for (double x : xs) s += x;
  return s / static_cast<double>(xs.size());
}

double sample_stddev(const std::vector<double>& xs) {
  if (xs.size() < 2) return kNaN;
  const double mu = mean(xs);
  double s = 0.0;
  for (double x : xs) s += (x - mu) * (x - mu);
  return std::sqrt(s / static_cast<double>(xs.size() - 1));
}

double mean_stderr(const std::vector<double>& xs) {
  if (xs.size() < 2) return kNaN;
  return sample_stddev(xs) / std::sqrt(static_cast<double>(xs.size()));
}

double pooled_sample_stderr(const std::vector<double>& stderrs, const std::vector<int64_t>& sizes) {
  if (stderrs.size() != sizes.size() || stderrs.empty()) return kNaN;
  double num = 0.0;
  int64_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const double n = static_cast<double>(sizes[i]);
    num += (n - 1) * (stderrs[i] * stderrs[i]) * n;
    total += sizes[i];
  }
  const int64_t dof = total - static_cast<int64_t>(sizes.size());
  if (dof <= 0) return kNaN;
  const double pooled_var = num / static_cast<double>(dof);
  return std::sqrt(pooled_var / static_cast<double>(total));
}

double weighted_mean(const std::vector<double>& scores, const std::vector<int64_t>& sizes) {
  if (scores.size() != sizes.size()) return kNaN;
  double num = 0.0;
  int64_t total = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    num += scores[i] * static_cast<double>(sizes[i]);
    total += sizes[i];
  }
  return total == 0 ? kNaN : num / static_cast<double>(total);
}

}  // namespace ys::metrics
