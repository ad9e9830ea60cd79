// lm-eval's bootstrap standard error (lm_eval/api/metrics.py bootstrap_stderr,
// _bootstrap_internal; PROTOCOLS.md §1.5), reproduced draw for draw:
//   chunk = min(1000, iters); for i in range(iters // chunk): rnd = random.Random(i);
//   chunk times: replicate = f(rnd.choices(xs, k=len(xs)));  stderr = sample_stddev(replicates).
// For bleu/chrf lm-eval uses iters = min(bootstrap_iters, 100) = 100, i.e. ONE generator
// Random(0) for all 100 replicates. Choices are floor(random() * n) (py_random.h).
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace ys::metrics {

inline constexpr int kCorpusMetricBootstrapIters = 100;

// `f` receives the resampled item indices (length n, with repetition) and returns the
// statistic of that resample. Returns NaN if n == 0 or fewer than 2 replicates.
double bootstrap_stderr(size_t n, int iters, const std::function<double(const std::vector<size_t>&)>& f);

// Corpus BLEU / chrF bootstrap stderr from per-segment statistics (one entry per doc).
struct BleuStats;
struct ChrfStats;
double bleu_bootstrap_stderr(const std::vector<BleuStats>& segments, int iters = kCorpusMetricBootstrapIters);
double chrf_bootstrap_stderr(const std::vector<ChrfStats>& segments, int iters = kCorpusMetricBootstrapIters);

}  // namespace ys::metrics
