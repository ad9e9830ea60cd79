// CpuModel::loglikelihood (PROTOCOLS.md §1.3); generate is in generate.cpp.
#include "common/error.h"
#include "engine/model/cpu_model.h"
#include "engine/model/encode_pair.h"

#include <algorithm>
#include <numeric>

namespace ys::engine {


LoglikelihoodResult CpuModel::score_one(const LoglikelihoodRequest& r) {
  const EncodedPair e =
      encode_pair(*tok_, [this](const std::string& t) { return encode_input(t); }, r, kv_.n_ctx());
  LoglikelihoodResult res;
  res.truncated = e.truncated;
  res.n_tokens = int(e.n_cont);
  res.is_greedy = true;
  if (e.n_cont <= 0) return res;
  const std::vector<int32_t> input(e.full.begin(), e.full.end() - 1);
  const int64_t first = int64_t(input.size()) - e.n_cont;
  check_kv_budget(int64_t(input.size()), "loglikelihood");
  const EvalFn score = [&](int64_t pos, const float* logits) {
    const int32_t target = e.full[size_t(pos + 1)];
    const RowStats s = row_stats(logits, h_.n_vocab, target);
    res.logprob += s.logprob;
    res.is_greedy = res.is_greedy && s.argmax == target;
  };
  eval(input, first, score, /*use_store=*/true);
  return res;
}

// Requests run in the order of their context strings so that those sharing a context
// (MMLU's four answers) reuse its keys/values; results do not depend on the order.
std::vector<LoglikelihoodResult> CpuModel::loglikelihood(const std::vector<LoglikelihoodRequest>& reqs) {
  std::vector<size_t> order(reqs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return reqs[a].context < reqs[b].context; });
  std::vector<LoglikelihoodResult> out(reqs.size());
  for (size_t i : order) out[i] = score_one(reqs[i]);
  return out;
}

}  // namespace ys::engine
