// CudaModel::loglikelihood and CudaModel::generate (PROTOCOLS.md §1.3 and §1.4). The
// §1.3 encoding is engine/model/encode_pair (shared with CpuModel).
#include "common/error.h"
#include "engine/backend/cuda/cuda_model_impl.h"
#include "engine/model/encode_pair.h"
#include "engine/runtime/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ys::cuda {

engine::LoglikelihoodResult CudaModel::score_one(const engine::LoglikelihoodRequest& r) {
  const engine::EncodedPair e = engine::encode_pair(
      *tok_, [this](const std::string& t) { return tok_->encode(t, true); }, r, info_.n_ctx);
  engine::LoglikelihoodResult res;
  res.truncated = e.truncated;
  res.n_tokens = int(e.n_cont);
  res.is_greedy = true;
  if (e.n_cont <= 0) return res;
  const std::vector<int32_t> input(e.full.begin(), e.full.end() - 1);
  const int64_t first = int64_t(input.size()) - e.n_cont;
  const std::vector<int32_t> targets(e.full.begin() + first + 1, e.full.end());
  eval(input, first, targets, false, [&](int64_t pos, double lp, int32_t am, const float*) {
    res.logprob += lp;
    res.is_greedy = res.is_greedy && am == e.full[size_t(pos + 1)];
  });
  return res;
}

std::vector<engine::LoglikelihoodResult> CudaModel::loglikelihood(const std::vector<engine::LoglikelihoodRequest>& reqs) {
  std::vector<size_t> order(reqs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return reqs[a].context < reqs[b].context; });
  std::vector<engine::LoglikelihoodResult> out(reqs.size());
  for (size_t i : order) out[i] = score_one(reqs[i]);
  return out;
}

engine::GenerateResult CudaModel::generate_one(const engine::GenerateRequest& r, engine::TextSink sink, void* user) {
  const int64_t n_ctx = info_.n_ctx;
  std::vector<int32_t> seq = tok_->encode(r.prompt, true);
  if (seq.empty()) seq.push_back(tok_->bos() >= 0 ? tok_->bos() : std::max(0, tok_->eos()));
  const int64_t budget = std::max<int64_t>(1, n_ctx - std::max(0, r.max_tokens));
  if (int64_t(seq.size()) > budget) seq.erase(seq.begin(), seq.end() - budget);
  engine::GenerateResult res;
  res.n_prompt_tokens = int(seq.size());
  size_t max_stop = 0;
  for (const auto& s : r.stop) max_stop = std::max(max_stop, s.size());
  const runtime::SamplingConfig cfg{r.sampler.temperature, r.sampler.top_k, r.sampler.top_p};
  const bool greedy = cfg.temperature <= 0.0;
  runtime::Rng rng(r.sampler.seed);
  size_t emitted = 0;
  auto emit = [&](size_t upto) {
    if (sink && upto > emitted) sink(user, res.text.substr(emitted, upto - emitted));
    emitted = std::max(emitted, upto);
  };
  while (true) {
    if (res.n_tokens >= r.max_tokens) { res.reason = engine::StopReason::max_tokens; break; }
    if (int64_t(seq.size()) >= n_ctx) { res.reason = engine::StopReason::context_full; break; }
    int32_t t = 0;
    eval(seq, int64_t(seq.size()) - 1, {}, !greedy, [&](int64_t, double, int32_t am, const float* l) {
      t = greedy ? am : runtime::sample(l, h_.n_vocab, cfg, rng);  // greedy: the device argmax (lowest id)
    });
    if (tok_->is_eog(t)) { res.reason = engine::StopReason::eos; break; }
    seq.push_back(t);
    ++res.n_tokens;
    res.text += tok_->piece(t);
    size_t cut = std::string::npos;
    for (const auto& s : r.stop)
      if (!s.empty()) cut = std::min(cut, res.text.find(s));
    if (cut != std::string::npos) {
      res.text.resize(cut);
      res.reason = engine::StopReason::stop_string;
      break;
    }
    if (res.text.size() + 1 > max_stop) emit(res.text.size() + 1 - std::max<size_t>(1, max_stop));
  }
  emit(res.text.size());
  return res;
}

std::vector<engine::GenerateResult> CudaModel::generate(const std::vector<engine::GenerateRequest>& reqs,
                                                        engine::TextSink sink, void* user) {
  std::vector<engine::GenerateResult> out;
  out.reserve(reqs.size());
  for (const auto& r : reqs) out.push_back(generate_one(r, sink, user));
  return out;
}

std::vector<float> CudaModel::logits_in_groups(const std::vector<int32_t>& toks, int64_t group) {
  const int64_t nv = h_.n_vocab, n = int64_t(toks.size());
  std::vector<float> out(size_t(n * nv), std::nanf(""));
  reset();
  for (int64_t p0 = 0; p0 < n; p0 += group) {
    const std::vector<int32_t> prefix(toks.begin(), toks.begin() + std::min(n, p0 + group));
    eval(prefix, p0, {}, true, [&](int64_t pos, double, int32_t, const float* l) {
      std::copy_n(l, nv, out.begin() + pos * nv);
    });
  }
  return out;
}

}  // namespace ys::cuda
