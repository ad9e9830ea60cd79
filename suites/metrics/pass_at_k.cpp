#include "suites/metrics/pass_at_k.h"

#include "common/error.h"

#include <limits>

namespace ys::metrics {

double pass_at_k(int64_t n, int64_t c, int64_t k) {
  if (n < 1 || c < 0 || c > n || k < 1 || k > n)
    fail(ErrorKind::invalid_input, "pass@k: need 0 <= c <= n and 1 <= k <= n, got n={} c={} k={}", n, c, k);
  if (n - c < k) return 1.0;
  double prod = 1.0;
  for (int64_t i = n - c + 1; i <= n; ++i) prod *= 1.0 - static_cast<double>(k) / static_cast<double>(i);
  return 1.0 - prod;
}

double mean_pass_at_k(const std::vector<int64_t>& n, const std::vector<int64_t>& c, int64_t k) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (n.empty() || n.size() != c.size()) return kNaN;
  for (int64_t ni : n)
    if (ni < k) return kNaN;
  double s = 0.0;
  for (size_t i = 0; i < n.size(); ++i) s += pass_at_k(n[i], c[i], k);
  return s / static_cast<double>(n.size());
}

}  // namespace ys::metrics
