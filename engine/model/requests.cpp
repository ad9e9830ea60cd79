// CpuModel::loglikelihood (PROTOCOLS.md §1.3); generate is in generate.cpp.
#include "common/error.h"
#include "engine/model/cpu_model.h"
#include "engine/model/encode_pair.h"

#include <algorithm>
#include <numeric>

namespace ys::engine {


// Every request of `group` has the same input (full minus its last token) and, when the
// group has more than one, exactly one continuation token: its logits row is computed once.
void CpuModel::score_group(const std::vector<EncodedPair>& enc, const std::vector<size_t>& group,
                           std::vector<LoglikelihoodResult>& out) {
  const EncodedPair& e = enc[group.front()];
  for (size_t i : group) {
    out[i] = {};
    out[i].truncated = enc[i].truncated;
    out[i].n_tokens = int(enc[i].n_cont);
    out[i].is_greedy = true;
  }
  if (e.n_cont <= 0) return;
  const std::vector<int32_t> input(e.full.begin(), e.full.end() - 1);
  const int64_t first = int64_t(input.size()) - e.n_cont;
  check_kv_budget(int64_t(input.size()), "loglikelihood");
  const EvalFn score = [&](int64_t pos, const float* logits) {
    for (size_t i : group) {
      const int32_t target = enc[i].full[size_t(pos + 1)];
      const RowStats s = row_stats(logits, h_.n_vocab, target);
      out[i].logprob += s.logprob;
      out[i].is_greedy = out[i].is_greedy && s.argmax == target;
    }
  };
  eval(input, first, score, /*use_store=*/true);
}

// Requests run in the order of their context strings so that those sharing a context
// (MMLU's four answers) reuse its keys/values; with the prefix cache on, consecutive
// one-token continuations of the same input are read off one pass. Results do not depend
// on the order or the grouping (each logits row has the same bits either way).
std::vector<LoglikelihoodResult> CpuModel::loglikelihood(const std::vector<LoglikelihoodRequest>& reqs) {
  std::vector<size_t> order(reqs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return reqs[a].context < reqs[b].context; });
  std::vector<EncodedPair> enc(reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i)
    enc[i] = encode_pair(*tok_, [this](const std::string& t) { return encode_input(t); }, reqs[i], kv_.n_ctx());
  auto same_input = [&](size_t a, size_t b) {
    const EncodedPair &x = enc[a], &y = enc[b];
    return x.n_cont == 1 && y.n_cont == 1 && x.full.size() == y.full.size() &&
           std::equal(x.full.begin(), x.full.end() - 1, y.full.begin());
  };
  std::vector<LoglikelihoodResult> out(reqs.size());
  std::vector<size_t> group;
  for (size_t k = 0; k < order.size();) {
    group.assign(1, order[k]);
    size_t j = k + 1;
    while (opt_.prefix_cache && j < order.size() && same_input(order[k], order[j])) group.push_back(order[j++]);
    score_group(enc, group, out);
    k = j;
  }
  return out;
}

}  // namespace ys::engine
