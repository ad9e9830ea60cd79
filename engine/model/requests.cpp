// CpuModel::loglikelihood (PROTOCOLS.md §1.3); generate is in generate.cpp.
#include "common/error.h"
#include "engine/model/cpu_model.h"

#include <algorithm>
#include <numeric>

namespace ys::engine {

namespace {

struct Encoded {
  std::vector<int32_t> full;  // the (left-truncated) context + continuation tokens
  int64_t n_cont = 0;         // continuation tokens at the end of `full`
  bool truncated = false;
};

Encoded encode_pair(const CpuModel& m, const LoglikelihoodRequest& r, int64_t n_ctx) {
  const tok::Tokenizer& tok = m.tokenizer();
  std::string ctx = r.context, cont = r.continuation;
  // 1. Trailing whitespace of the context moves to the continuation.
  size_t end = ctx.size();
  while (end > 0 && (ctx[end - 1] == ' ' || ctx[end - 1] == '\t' || ctx[end - 1] == '\n' || ctx[end - 1] == '\r' ||
                     ctx[end - 1] == '\v' || ctx[end - 1] == '\f'))
    --end;
  cont = ctx.substr(end) + cont;
  ctx.resize(end);
  // 2. Joint tokenization, split at len(enc(ctx)); empty context -> [BOS or EOS].
  Encoded e;
  if (ctx.empty()) {
    const int32_t prefix = tok.bos() >= 0 ? tok.bos() : tok.eos();
    if (prefix < 0) fail(ErrorKind::unsupported, "loglikelihood: empty context but the vocabulary has no BOS/EOS");
    e.full = tok.encode(cont, false);
    e.n_cont = int64_t(e.full.size());
    e.full.insert(e.full.begin(), prefix);
  } else {
    e.full = m.encode_input(ctx + cont);
    const int64_t n_ctx_tok = int64_t(m.encode_input(ctx).size());
    e.n_cont = std::max<int64_t>(0, int64_t(e.full.size()) - n_ctx_tok);
  }
  // 3. Left-truncate to n_ctx + 1 tokens (the model sees all but the last).
  if (int64_t(e.full.size()) > n_ctx + 1) {
    e.full.erase(e.full.begin(), e.full.end() - (n_ctx + 1));
    e.truncated = true;
  }
  e.n_cont = std::min(e.n_cont, int64_t(e.full.size()) - 1);
  return e;
}

}  // namespace

LoglikelihoodResult CpuModel::score_one(const LoglikelihoodRequest& r) {
  const Encoded e = encode_pair(*this, r, kv_.n_ctx());
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
