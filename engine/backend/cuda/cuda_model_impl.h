// CudaModel: engine::Model on the GPU with CpuModel's semantics (PROTOCOLS.md §1.3).
//
// The tokenizer, hyperparameters and weight binding are the CPU engine's own
// (tok::Tokenizer, read_hparams, load_weights, including --quant re-quantization); the
// weights are then uploaded once. The request glue (joint tokenization, split and
// left-truncation for loglikelihood; the generate loop) duplicates the logic of
// engine/model/requests.cpp, which is private to CpuModel. Per-position log-probabilities
// and argmaxes are computed on the device; full logits come back only for sampling.
#pragma once

#include "engine/backend/cuda/forward.h"
#include "engine/gguf/gguf.h"
#include "engine/model/hparams.h"
#include "engine/model/model.h"
#include "engine/model/weights.h"
#include "engine/tokenizer/tokenizer.h"

#include <functional>
#include <memory>

namespace ys::cuda {

class CudaModel final : public engine::Model {
 public:
  CudaModel(const std::filesystem::path& path, const engine::LoadOptions& options, int device_index);

  const engine::ModelInfo& info() const override { return info_; }
  std::vector<engine::LoglikelihoodResult> loglikelihood(const std::vector<engine::LoglikelihoodRequest>& r) override;
  std::vector<engine::GenerateResult> generate(const std::vector<engine::GenerateRequest>& reqs,
                                               engine::TextSink sink = nullptr, void* user = nullptr) override;
  std::vector<engine::TokenLogprob> token_logprobs(const std::string& text) override;
  std::vector<int32_t> tokenize(const std::string& text, bool add_bos) const override;
  std::string detokenize(const std::vector<int32_t>& ids) const override;

  const engine::HParams& hparams() const { return h_; }
  const tok::Tokenizer& tokenizer() const { return *tok_; }
  uint64_t weight_bytes() const { return dw_->bytes; }
  bool deterministic() const { return fwd_->deterministic(); }  // LoadOptions::deterministic

  // Per output position: log p(target) (0 when no targets) and the argmax; `logits` is
  // the host copy of the row when want_logits, else null.
  using RowFn = std::function<void(int64_t pos, double logprob, int32_t argmax, const float* logits)>;
  // Feeds tokens (positions 0..n-1, reusing the cached common prefix) and calls fn for
  // positions [first_out, n). targets[i] is the target of position first_out + i (or empty).
  void eval(const std::vector<int32_t>& tokens, int64_t first_out, const std::vector<int32_t>& targets,
            bool want_logits, const RowFn& fn);
  // For timing tools: drop the cache / run one raw batch at the end of the cache.
  void reset() { cached_.clear(); fwd_->truncate(0); }
  void forward_raw(const std::vector<int32_t>& tokens, int64_t n_out);
  // Logits [n, n_vocab] of toks fed `group` tokens per forward call from an empty cache
  // (each call reuses the cached prefix, so it runs exactly one group): batch drift checks.
  std::vector<float> logits_in_groups(const std::vector<int32_t>& toks, int64_t group);

 private:
  engine::LoglikelihoodResult score_one(const engine::LoglikelihoodRequest& r);
  engine::GenerateResult generate_one(const engine::GenerateRequest& r, engine::TextSink sink, void* user);

  gguf::File file_;
  engine::HParams h_;
  std::unique_ptr<engine::Weights> w_;
  std::unique_ptr<tok::Tokenizer> tok_;
  std::unique_ptr<DevWeights> dw_;
  std::unique_ptr<CudaForward> fwd_;
  std::vector<int32_t> cached_;
  Buffer targets_, logprob_, argmax_;
  engine::ModelInfo info_;
};

}  // namespace ys::cuda
