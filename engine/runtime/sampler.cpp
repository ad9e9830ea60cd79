#include "engine/runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace ys::runtime {

int32_t argmax(const float* logits, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; ++i)
    if (logits[i] > logits[best]) best = i;
  return int32_t(best);
}

int32_t sample(const float* logits, int64_t n, const SamplingConfig& cfg, Rng& rng) {
  if (cfg.temperature <= 0.0 || cfg.top_k == 1) return argmax(logits, n);
  // Candidates sorted by logit descending, ties by id ascending (a total order).
  std::vector<int32_t> ids(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), 0);
  auto before = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  int64_t keep = n;
  if (cfg.top_k > 0 && cfg.top_k < n) {
    keep = cfg.top_k;
    std::partial_sort(ids.begin(), ids.begin() + keep, ids.end(), before);
  } else {
    std::sort(ids.begin(), ids.end(), before);
  }
  std::vector<double> p(static_cast<size_t>(keep));
  const double mx = logits[ids[0]];
  double sum = 0.0;
  for (int64_t i = 0; i < keep; ++i) {
    p[size_t(i)] = std::exp((double(logits[ids[size_t(i)]]) - mx) / cfg.temperature);
    sum += p[size_t(i)];
  }
  if (cfg.top_p < 1.0) {
    double cum = 0.0;
    int64_t cut = keep;
    for (int64_t i = 0; i < keep; ++i) {
      cum += p[size_t(i)] / sum;
      if (cum >= cfg.top_p) {
        cut = i + 1;
        break;
      }
    }
    keep = cut;
    sum = 0.0;
    for (int64_t i = 0; i < keep; ++i) sum += p[size_t(i)];
  }
  const double u = rng.uniform() * sum;
  double acc = 0.0;
  for (int64_t i = 0; i < keep; ++i) {
    acc += p[size_t(i)];
    if (u < acc) return ids[size_t(i)];
  }
  return ids[size_t(keep - 1)];
}

}  // namespace ys::runtime
