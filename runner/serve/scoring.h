// Per-token logprobs of prompts for /v1/completions with echo/logprobs (lm-eval's
// local-completions loglikelihood) and vLLM's prompt_logprobs, computed from the engine's
// teacher-forced logits with the arithmetic of the engine's own loglikelihood
// (engine::row_stats: softmax in double after subtracting the row maximum, the lowest id
// winning ties), so a client summing these numbers gets the bits a local run gets.
//
// Rows of a prompt depend only on its tokens up to that position, so the scorer keeps the
// rows of recent prompts and computes only the positions past the longest shared prefix
// (MMLU's context followed by its four answers: the context once); the engine's prefix
// cache reuses the keys/values of that prefix.
#pragma once

#include "engine/model/model.h"

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace ys::serve {

struct TopEntry {
  int32_t id = 0;
  double logprob = 0;
};

// One position of a prompt: log p(token | the tokens before it) and the top alternatives.
struct TokenRow {
  int32_t token = 0;
  double logprob = 0;
  int64_t rank = 1;             // 1 + tokens ranked above it (higher logit, or equal and lower id)
  std::vector<TopEntry> top;    // the k most likely tokens, best first (ties: lowest id first)
};

// The row of `logits` for `target` with the top k alternatives (k may be 0).
TokenRow summarize_row(const float* logits, int64_t n_vocab, int32_t target, int k);

struct ScoredPrompt {
  std::vector<TokenRow> rows;       // rows[p] for p in [1, n): position 0 has none
  std::vector<TopEntry> next_top;   // the distribution after the last token (top max(k, 1)), when asked
};

class PromptScorer {
 public:
  explicit PromptScorer(engine::Model& model, size_t memo_prompts = 16) : model_(model), memo_size_(memo_prompts) {}
  // Scores ids (size >= 1); with `next`, also the row after the last token. Runs on the
  // engine's thread only.
  ScoredPrompt score(const std::vector<int32_t>& ids, int k, bool next);

 private:
  struct Memo {
    std::vector<int32_t> ids;
    std::vector<TokenRow> rows;  // rows[p], p >= 1
    int k = 0;
  };
  engine::Model& model_;
  size_t memo_size_;
  std::deque<Memo> memo_;
};

}  // namespace ys::serve
