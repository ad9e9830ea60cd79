// The embedded CPU implementation of the Model interface (engine/model/model.h).
//
// One sequence is evaluated at a time, in chunks, against one KV cache. Consecutive
// evaluations reuse the cached keys/values of their longest common token prefix; since
// every op is batch- and chunk-invariant, reuse never changes a result's bits.
#pragma once

#include "engine/backend/cpu/thread_pool.h"
#include "engine/gguf/gguf.h"
#include "engine/model/hparams.h"
#include "engine/model/llama.h"
#include "engine/model/model.h"
#include "engine/model/weights.h"
#include "engine/runtime/kv_cache.h"
#include "engine/tokenizer/tokenizer.h"

#include <functional>
#include <memory>

namespace ys::engine {

class CpuModel final : public Model {
 public:
  CpuModel(const std::filesystem::path& path, const LoadOptions& options);

  const ModelInfo& info() const override { return info_; }
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& reqs) override;
  std::vector<GenerateResult> generate(const std::vector<GenerateRequest>& reqs, TextSink sink = nullptr,
                                       void* user = nullptr) override;
  std::vector<TokenLogprob> token_logprobs(const std::string& text) override;
  std::vector<int32_t> tokenize(const std::string& text, bool add_bos) const override;
  std::string detokenize(const std::vector<int32_t>& ids) const override;

  const tok::Tokenizer& tokenizer() const { return *tok_; }
  const HParams& hparams() const { return h_; }

  // Feeds `tokens` (positions 0..n-1) and calls on_logits(i, row) for i in [first_out, n).
  using EvalFn = std::function<void(int64_t pos, const float* logits)>;
  void eval(const std::vector<int32_t>& tokens, int64_t first_out, const EvalFn& on_logits);
  void next_token_logits(const std::vector<int32_t>& ids, const Model::LogitsFn& fn) override;

 private:
  LoglikelihoodResult score_one(const LoglikelihoodRequest& r);
  GenerateResult generate_one(const GenerateRequest& r, TextSink sink, void* user);

  gguf::File file_;
  HParams h_;
  std::unique_ptr<Weights> w_;
  std::unique_ptr<tok::Tokenizer> tok_;
  std::unique_ptr<cpu::ThreadPool> pool_;
  std::unique_ptr<LlamaForward> fwd_;
  runtime::KvCache kv_;
  std::vector<int32_t> cached_;   // the tokens whose keys/values the cache holds
  std::vector<float> logits_;
  ModelInfo info_;
};

// log p(target) under softmax(logits) (computed in double) and the argmax (lowest id wins ties).
struct RowStats {
  double logprob = 0.0;
  int32_t argmax = 0;
};
RowStats row_stats(const float* logits, int64_t n, int32_t target);

}  // namespace ys::engine
