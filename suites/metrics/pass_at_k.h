// Unbiased pass@k (Chen et al. 2021; openai/human-eval estimate_pass_at_k, PROTOCOLS.md §5):
// per problem 1 - C(n-c,k)/C(n,k), computed in product form
//   1.0 if n-c < k else 1 - prod_{i=n-c+1..n} (1 - k/i).
#pragma once

#include <cstdint>
#include <vector>

namespace ys::metrics {

// n samples, c correct, k <= n. Throws ys::Error(invalid_input) if c > n, k < 1 or k > n.
double pass_at_k(int64_t n, int64_t c, int64_t k);

// Mean over problems; every problem must have n >= k (human-eval reports pass@k only
// then): returns NaN otherwise, or for no problems.
double mean_pass_at_k(const std::vector<int64_t>& n, const std::vector<int64_t>& c, int64_t k);

}  // namespace ys::metrics
