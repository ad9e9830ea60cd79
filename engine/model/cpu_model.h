// The embedded CPU implementation of the Model interface (engine/model/model.h).
//
// Scoring evaluates one sequence at a time, in chunks, against one KV cache. Consecutive
// evaluations reuse the cached keys/values of their longest common token prefix, and a
// bounded LRU store of 64-token prefix blocks (runtime/prefix_cache.h) lets interleaved
// requests reuse older prefixes. Generation decodes up to LoadOptions::batch_size
// sequences together (continuous batching, each with its own KV cache). Since every op is
// batch- and chunk-invariant, neither reuse nor batching changes a result's bits.
#pragma once

#include "engine/backend/cpu/onednn_gemm.h"
#include "engine/backend/cpu/thread_pool.h"
#include "engine/gguf/gguf.h"
#include "engine/model/hparams.h"
#include "engine/model/llama.h"
#include "engine/model/encode_pair.h"
#include "engine/model/model.h"
#include "engine/model/weights.h"
#include "engine/runtime/kv_cache.h"
#include "engine/runtime/prefix_cache.h"
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
  std::vector<GenerateResult> generate_streamed(const std::vector<GenerateRequest>& reqs, const DoneFn& on_done) override;
  std::vector<TokenLogprob> token_logprobs(const std::string& text) override;
  std::vector<int32_t> tokenize(const std::string& text, bool add_bos) const override;
  std::string detokenize(const std::vector<int32_t>& ids) const override;
  std::string chat_template() const override;
  std::string apply_chat_template(const std::vector<ChatMessage>& messages, const ChatOptions& options) const override;

  const tok::Tokenizer& tokenizer() const { return *tok_; }
  const HParams& hparams() const { return h_; }
  // Tokens of a prompt with the BOS policy of LoadOptions::bos applied.
  std::vector<int32_t> encode_input(const std::string& text) const;

  struct CacheStats {
    int64_t tokens_evaluated = 0;  // positions run through the model by eval()
    int64_t tokens_reused = 0;     // positions taken from the cache instead
    runtime::PrefixCache::Stats store;
  };
  CacheStats cache_stats() const;
  GenerateStats generate_stats() const override { return gen_stats_; }

  // Feeds `tokens` (positions 0..n-1) and calls on_logits(i, row) for i in [first_out, n).
  // With use_store, also restores/saves prefix blocks (LoadOptions::prefix_cache).
  using EvalFn = std::function<void(int64_t pos, const float* logits)>;
  void eval(const std::vector<int32_t>& tokens, int64_t first_out, const EvalFn& on_logits, bool use_store = false);
  void next_token_logits(const std::vector<int32_t>& ids, const Model::LogitsFn& fn) override;
  void next_token_logits_from(const std::vector<int32_t>& ids, int64_t first, const Model::LogitsFn& fn) override;

 private:
  // Scores requests whose encodings share everything but their one continuation token
  // (MMLU's " A".." D") from ONE pass; a group of one is the general case.
  void score_group(const std::vector<EncodedPair>& enc, const std::vector<size_t>& group,
                   std::vector<LoglikelihoodResult>& out);
  // generate() and generate_streamed(); on_done may be null.
  std::vector<GenerateResult> generate_impl(const std::vector<GenerateRequest>& reqs, TextSink sink, void* user,
                                            const DoneFn* on_done);
  // Throws ys::Error(invalid_input) when n positions of keys/values exceed the budget.
  void check_kv_budget(int64_t n, const std::string& what) const;

  gguf::File file_;
  HParams h_;
  std::unique_ptr<Weights> w_;
  std::unique_ptr<cpu::OnednnGemm> onednn_;  // --cpu-gemm onednn: w_'s matrices for oneDNN
  std::unique_ptr<tok::Tokenizer> tok_;
  std::unique_ptr<cpu::ThreadPool> pool_;
  std::unique_ptr<LlamaForward> fwd_;
  runtime::KvCache kv_;
  std::vector<int32_t> cached_;   // the tokens whose keys/values the cache holds
  std::vector<float> logits_;
  runtime::PrefixCache store_;
  LoadOptions opt_;
  int64_t evaluated_ = 0, reused_ = 0;
  GenerateStats gen_stats_;
  ModelInfo info_;
};

// log p(target) under softmax(logits) (computed in double) and the argmax (lowest id wins ties).
struct RowStats {
  double logprob = 0.0;
  int32_t argmax = 0;
};
RowStats row_stats(const float* logits, int64_t n, int32_t target);

}  // namespace ys::engine
