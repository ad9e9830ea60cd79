// CpuModel::loglikelihood and CpuModel::generate (PROTOCOLS.md §1.3 and §1.4).
#include "common/error.h"
#include "engine/model/cpu_model.h"
#include "engine/runtime/sampler.h"

#include <algorithm>
#include <numeric>

namespace ys::engine {

namespace {

struct Encoded {
  std::vector<int32_t> full;  // the (left-truncated) context + continuation tokens
  int64_t n_cont = 0;         // continuation tokens at the end of `full`
  bool truncated = false;
};

Encoded encode_pair(const tok::Tokenizer& tok, const LoglikelihoodRequest& r, int64_t n_ctx) {
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
    e.full = tok.encode(ctx + cont, true);
    const int64_t n_ctx_tok = int64_t(tok.encode(ctx, true).size());
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
  const Encoded e = encode_pair(*tok_, r, kv_.n_ctx());
  LoglikelihoodResult res;
  res.truncated = e.truncated;
  res.n_tokens = int(e.n_cont);
  res.is_greedy = true;
  if (e.n_cont <= 0) return res;
  const std::vector<int32_t> input(e.full.begin(), e.full.end() - 1);
  const int64_t first = int64_t(input.size()) - e.n_cont;
  eval(input, first, [&](int64_t pos, const float* logits) {
    const int32_t target = e.full[size_t(pos + 1)];
    const RowStats s = row_stats(logits, h_.n_vocab, target);
    res.logprob += s.logprob;
    res.is_greedy = res.is_greedy && s.argmax == target;
  });
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

GenerateResult CpuModel::generate_one(const GenerateRequest& r, TextSink sink, void* user) {
  const int64_t n_ctx = kv_.n_ctx();
  std::vector<int32_t> seq = tok_->encode(r.prompt, true);
  if (seq.empty()) seq.push_back(tok_->bos() >= 0 ? tok_->bos() : std::max(0, tok_->eos()));
  const int64_t budget = std::max<int64_t>(1, n_ctx - std::max(0, r.max_tokens));
  if (int64_t(seq.size()) > budget) seq.erase(seq.begin(), seq.end() - budget);
  GenerateResult res;
  res.n_prompt_tokens = int(seq.size());
  size_t max_stop = 0;
  for (const auto& s : r.stop) max_stop = std::max(max_stop, s.size());
  runtime::SamplingConfig cfg{r.sampler.temperature, r.sampler.top_k, r.sampler.top_p};
  runtime::Rng rng(r.sampler.seed);
  std::vector<float> last(size_t(h_.n_vocab));
  size_t emitted = 0;
  auto emit = [&](size_t upto) {
    if (sink && upto > emitted) sink(user, res.text.substr(emitted, upto - emitted));
    emitted = std::max(emitted, upto);
  };
  while (true) {
    if (res.n_tokens >= r.max_tokens) { res.reason = StopReason::max_tokens; break; }
    if (int64_t(seq.size()) >= n_ctx) { res.reason = StopReason::context_full; break; }
    eval(seq, int64_t(seq.size()) - 1, [&](int64_t, const float* l) { std::copy_n(l, h_.n_vocab, last.data()); });
    const int32_t t = runtime::sample(last.data(), h_.n_vocab, cfg, rng);
    if (tok_->is_eog(t)) { res.reason = StopReason::eos; break; }
    seq.push_back(t);
    ++res.n_tokens;
    res.text += tok_->piece(t);
    size_t cut = std::string::npos;
    for (const auto& s : r.stop)
      if (!s.empty()) cut = std::min(cut, res.text.find(s));
    if (cut != std::string::npos) {
      res.text.resize(cut);
      res.reason = StopReason::stop_string;
      break;
    }
    if (res.text.size() + 1 > max_stop) emit(res.text.size() + 1 - std::max<size_t>(1, max_stop));
  }
  emit(res.text.size());
  return res;
}

std::vector<GenerateResult> CpuModel::generate(const std::vector<GenerateRequest>& reqs, TextSink sink, void* user) {
  std::vector<GenerateResult> out;
  out.reserve(reqs.size());
  for (const auto& r : reqs) out.push_back(generate_one(r, sink, user));
  return out;
}

}  // namespace ys::engine
