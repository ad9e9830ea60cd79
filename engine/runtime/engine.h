// The embedded engine: engine::Model over any Backend, written once for every device.
//
// Everything about requests lives here: request encoding (encode_pair.h), loglikelihood
// scheduling with shared-prefix reuse and one-pass multiple choice (loglikelihood.cpp),
// the continuous-batching generation scheduler with stop strings and per-request seeded
// sampling (generate.cpp), the paged key/value memory with its budget and errors
// (kv_pool.h, prefix_index.h) and the statistics of the calls. A step runs several
// sequences at once: each brings its new token rows and its block table, and the
// architecture's forward pass (engine/model/architecture.h) computes the logits rows the
// step asks for.
//
// Prefix reuse: a new sequence shares the blocks of the longest prefix it has in common
// with the sequence admitted before it (any length, the partly shared block copied on the
// first write) or with the indexed blocks of earlier sequences (whole blocks), whichever
// is longer. When that prefix is still being computed by the previous sequence, the new
// one waits for it instead of computing it a second time. Since every operation of a
// backend that claims batch invariance (the CPU) gives a row the same bits whatever else
// the step holds, neither reuse nor batching changes a result there.
#pragma once

#include "engine/gguf/gguf.h"
#include "engine/model/architecture.h"
#include "engine/model/backend.h"
#include "engine/model/hparams.h"
#include "engine/model/model.h"
#include "engine/runtime/encode_pair.h"
#include "engine/runtime/kv_pool.h"
#include "engine/runtime/prefix_index.h"
#include "engine/tokenizer/tokenizer.h"

#include <filesystem>
#include <functional>
#include <memory>

namespace ys::runtime {

class Engine : public engine::Model {
 public:
  using BackendFactory = std::function<std::unique_ptr<engine::Backend>()>;
  // Opens the GGUF file, makes the backend, binds the architecture's weights in it.
  Engine(const std::filesystem::path& path, const engine::LoadOptions& options, const BackendFactory& make_backend);
  ~Engine() override;

  const engine::ModelInfo& info() const override { return info_; }
  std::vector<engine::LoglikelihoodResult> loglikelihood(
      const std::vector<engine::LoglikelihoodRequest>& reqs) override;
  std::vector<engine::GenerateResult> generate(const std::vector<engine::GenerateRequest>& reqs,
                                               engine::TextSink sink = nullptr, void* user = nullptr) override;
  std::vector<engine::GenerateResult> generate_streamed(const std::vector<engine::GenerateRequest>& reqs,
                                                        const DoneFn& on_done) override;
  std::vector<engine::TokenLogprob> token_logprobs(const std::string& text) override;
  std::vector<int32_t> tokenize(const std::string& text, bool add_bos) const override;
  std::string detokenize(const std::vector<int32_t>& ids) const override;
  void next_token_logits(const std::vector<int32_t>& ids, const LogitsFn& fn) override;
  // Reuses what the previous sequence or the prefix index holds of ids' prefix (the bits do
  // not change: the rows are computed as next_token_logits computes them).
  void next_token_logits_from(const std::vector<int32_t>& ids, int64_t first, const LogitsFn& fn) override;
  std::string chat_template() const override;
  std::string apply_chat_template(const std::vector<engine::ChatMessage>& messages,
                                  const engine::ChatOptions& options) const override;
  engine::GenerateStats generate_stats() const override { return gen_stats_; }

  const tok::Tokenizer& tokenizer() const { return *tok_; }
  const engine::HParams& hparams() const { return h_; }
  engine::Backend& backend() { return *be_; }
  // Tokens of a prompt with the BOS policy of LoadOptions::bos applied (tok::encode_prompt:
  // no second BOS when the text starts with the BOS text; special tokens per --parse-special).
  std::vector<int32_t> encode_input(const std::string& text) const;

  // Feeds `tokens` (positions 0..n-1) and calls on_logits(i, row) for i in [first_out, n),
  // in order. With use_store, also looks up and indexes prefix blocks (LoadOptions::prefix_cache).
  using EvalFn = std::function<void(int64_t pos, const float* logits)>;
  void eval(const std::vector<int32_t>& tokens, int64_t first_out, const EvalFn& on_logits, bool use_store = false);
  // eval() that reads only each row's argmax (computed where the logits are: no copy of
  // whole rows from a device), for timing tools.
  using ArgmaxFn = std::function<void(int64_t pos, int32_t argmax)>;
  void eval_argmax(const std::vector<int32_t>& tokens, int64_t first_out, const ArgmaxFn& fn);

  // What the scheduler did (the counts a test or a benchmark reads), since the load.
  struct CacheStats {
    int64_t tokens_evaluated = 0;  // positions run through the model by loglikelihood/eval/token_logprobs
    int64_t tokens_reused = 0;     // positions shared from earlier sequences instead
    int64_t steps = 0;             // forward steps (all calls)
    int64_t rows = 0;              // rows in them
    int64_t out_rows = 0;          // logits rows asked for
    PrefixIndex::Stats store;      // the prefix index
    KvPool::Stats kv;              // block allocation
    int64_t kv_blocks_in_use = 0;  // now (blocks held by the prefix index and the last sequence)
    int64_t kv_block_tokens = 0;
    int64_t kv_block_bytes = 0;
  };
  CacheStats cache_stats() const;

  // Internal (engine_seq.h, loglikelihood.cpp): a sequence in the scheduler, a scoring job.
  struct Seq;
  struct ScoreJob;

 private:
  struct OutRow {
    Seq* seq;
    int64_t pos;
  };
  struct Part {
    Seq* seq;
    int64_t take;
  };

  void validate(const engine::LoadOptions& o, const std::filesystem::path& path) const;
  // Throws ys::Error(invalid_input) when a sequence of n positions exceeds the budget alone.
  void check_kv_budget(int64_t n, const std::string& what) const;
  // Shares what the previous sequence or the index holds of s's first `limit` tokens and
  // reserves the blocks s will still need for `total` positions. False (nothing held) when
  // s must wait: its shared prefix is still being computed, or memory is short.
  bool admit(Seq& s, int64_t total, int64_t limit, const Seq* prev);
  // Frees budget for n more blocks (index entries, then the last sequence); false if impossible.
  bool make_room(int64_t n);
  // Runs one step over the parts (rows [n_done, n_done + take) of each sequence); the
  // rows at positions >= the sequence's first_out are output rows, in `outs` (step order).
  void run_step(const std::vector<Part>& parts, std::vector<OutRow>& outs);
  // A finished sequence: keeps it as the previous sequence (prefix cache) or frees it.
  void finish(Seq& s);
  void score_jobs(std::vector<ScoreJob>& jobs);
  std::vector<engine::GenerateResult> generate_impl(const std::vector<engine::GenerateRequest>& reqs,
                                                    engine::TextSink sink, void* user, const DoneFn* on_done);

  gguf::File file_;
  engine::HParams h_;
  engine::LoadOptions opt_;
  std::unique_ptr<tok::Tokenizer> tok_;
  std::unique_ptr<engine::Backend> be_;
  std::unique_ptr<engine::Architecture> arch_;
  int64_t n_ctx_ = 0;
  KvPool pool_;
  PrefixIndex index_;
  std::unique_ptr<Seq> last_;  // the last finished sequence (its computed tokens and blocks)
  int64_t reserved_ = 0;       // blocks promised to active sequences, not yet allocated
  // step scratch
  std::vector<int32_t> step_tokens_, step_pos_;
  std::vector<engine::StepSeq> step_seqs_;
  std::vector<int64_t> step_out_;
  CacheStats stats_;
  engine::GenerateStats gen_stats_;
  engine::ModelInfo info_;
};

}  // namespace ys::runtime
