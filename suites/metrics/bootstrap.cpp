#include "suites/metrics/bootstrap.h"

#include "suites/metrics/bleu.h"
#include "suites/metrics/chrf.h"
#include "suites/metrics/py_random.h"
#include "suites/metrics/stats.h"

#include <algorithm>
#include <limits>

namespace ys::metrics {

double bootstrap_stderr(size_t n, int iters, const std::function<double(const std::vector<size_t>&)>& f) {
  if (n == 0 || iters < 2) return std::numeric_limits<double>::quiet_NaN();
  const int chunk = std::min(1000, iters);
  std::vector<double> replicates;
  replicates.reserve(static_cast<size_t>(iters));
  std::vector<size_t> idx(n);
  for (int i = 0; i < iters / chunk; ++i) {
    PyRandom rnd(static_cast<uint64_t>(i));
    for (int r = 0; r < chunk; ++r) {
      for (size_t j = 0; j < n; ++j) idx[j] = rnd.choice_index(n);
      replicates.push_back(f(idx));
    }
  }
  return sample_stddev(replicates);
}

double bleu_bootstrap_stderr(const std::vector<BleuStats>& segments, int iters) {
  return bootstrap_stderr(segments.size(), iters, [&](const std::vector<size_t>& idx) {
    BleuStats sum;
    for (size_t j : idx) sum += segments[j];
    return bleu_from_stats(sum).score;
  });
}

double chrf_bootstrap_stderr(const std::vector<ChrfStats>& segments, int iters) {
  return bootstrap_stderr(segments.size(), iters, [&](const std::vector<size_t>& idx) {
    ChrfStats sum;
    for (size_t j : idx) sum += segments[j];
    return chrf_from_stats(sum);
  });
}

}  // namespace ys::metrics
