#include "reports/paired_tests.h"

#include "common/error.h"
#include "suites/metrics/py_random.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ys::reports {

double mcnemar_exact_p(int64_t b, int64_t c) {
  if (b < 0 || c < 0) fail(ErrorKind::invalid_input, "McNemar counts must be >= 0 (b={}, c={})", b, c);
  const int64_t n = b + c;
  if (n == 0) return 1.0;
  const int64_t k = std::min(b, c);
  // log C(n, i) - n log 2, summed in log space so large n does not overflow.
  double sum = 0;
  const double log2n = static_cast<double>(n) * std::log(2.0);
  for (int64_t i = 0; i <= k; ++i) {
    double lc = std::lgamma(static_cast<double>(n) + 1) - std::lgamma(static_cast<double>(i) + 1) -
                std::lgamma(static_cast<double>(n - i) + 1);
    sum += std::exp(lc - log2n);
  }
  return std::min(1.0, 2.0 * sum);
}

bool is_binary(const std::vector<double>& xs) {
  return std::all_of(xs.begin(), xs.end(), [](double x) { return x == 0.0 || x == 1.0; });
}

PairedResult paired_binary(const std::vector<double>& base, const std::vector<double>& cand) {
  if (base.size() != cand.size()) fail(ErrorKind::internal, "paired_binary: {} vs {} samples", base.size(), cand.size());
  PairedResult r;
  r.test = "mcnemar-exact";
  r.n = base.size();
  for (size_t i = 0; i < base.size(); ++i) {
    if (base[i] > cand[i]) ++r.b;
    if (base[i] < cand[i]) ++r.c;
  }
  r.p = mcnemar_exact_p(r.b, r.c);
  if (r.n == 0) return r;
  const double n = static_cast<double>(r.n);
  r.delta = static_cast<double>(r.c - r.b) / n;
  // Wald interval of the mean paired difference d_i in {-1, 0, 1}.
  double var = (static_cast<double>(r.b + r.c) / n - r.delta * r.delta);
  double se = r.n > 1 ? std::sqrt(std::max(0.0, var) * n / (n - 1) / n) : 0.0;
  r.ci_lo = r.delta - 1.959964 * se;
  r.ci_hi = r.delta + 1.959964 * se;
  return r;
}

PairedResult paired_bootstrap(size_t n, const ResampleStat& stat, int reps, uint64_t seed) {
  PairedResult r;
  r.test = "paired-bootstrap";
  r.n = n;
  if (n == 0) {
    r.test = "none";
    return r;
  }
  std::vector<size_t> idx(n);
  std::iota(idx.begin(), idx.end(), size_t{0});
  r.delta = stat(idx, 1) - stat(idx, 0);
  metrics::PyRandom rng(seed);
  std::vector<double> deltas;
  deltas.reserve(static_cast<size_t>(std::max(reps, 0)));
  int64_t le = 0, ge = 0;
  for (int k = 0; k < reps; ++k) {
    for (size_t i = 0; i < n; ++i) idx[i] = rng.choice_index(n);
    double d = stat(idx, 1) - stat(idx, 0);
    deltas.push_back(d);
    le += d <= 0 ? 1 : 0;
    ge += d >= 0 ? 1 : 0;
  }
  if (deltas.empty()) return r;
  std::sort(deltas.begin(), deltas.end());
  auto pct = [&](double q) {
    size_t at = static_cast<size_t>(std::floor(q * static_cast<double>(deltas.size() - 1) + 0.5));
    return deltas[std::min(at, deltas.size() - 1)];
  };
  r.ci_lo = pct(0.025);
  r.ci_hi = pct(0.975);
  r.p = std::min(1.0, 2.0 * static_cast<double>(std::min(le, ge)) / static_cast<double>(reps));
  return r;
}

PairedResult paired_mean_bootstrap(const std::vector<double>& base, const std::vector<double>& cand, int reps,
                                   uint64_t seed) {
  if (base.size() != cand.size()) fail(ErrorKind::internal, "paired_mean_bootstrap: {} vs {}", base.size(), cand.size());
  return paired_bootstrap(
      base.size(),
      [&](const std::vector<size_t>& idx, int which) {
        const std::vector<double>& xs = which == 0 ? base : cand;
        double s = 0;
        for (size_t i : idx) s += xs[i];
        return s / static_cast<double>(idx.size());
      },
      reps, seed);
}

}  // namespace ys::reports
