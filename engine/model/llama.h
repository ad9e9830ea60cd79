// The Llama-family forward pass (llama, Mistral, SmolLM2, Llama 3, qwen2, sparse MoE).
#pragma once

#include "engine/backend/cpu/thread_pool.h"
#include "engine/model/hparams.h"
#include "engine/model/weights.h"
#include "engine/runtime/kv_cache.h"

#include "engine/backend/cpu/ops.h"

#include <cstdint>
#include <vector>

namespace ys::engine {

class LlamaForward {
 public:
  LlamaForward(const HParams& h, const Weights& w, cpu::ThreadPool& pool);

  // Runs tokens[0..n_tok) at positions pos0.. of the sequence held in `kv` (which must
  // hold positions [0, pos0)), writes their keys/values, and the logits of the batch rows
  // out_rows[0..n_out) to logits [n_out, n_vocab]. Each logit is independent of n_tok.
  void forward(const int32_t* tokens, int64_t n_tok, int64_t pos0, runtime::KvCache& kv, const int64_t* out_rows,
               int64_t n_out, float* logits);

  // Several sequences in one batch (continuous batching): sequence s feeds its n_tok
  // tokens at positions pos0.. into its own cache; the layer matmuls see all rows as one
  // batch, attention stays per sequence. Batch rows are the sequences' rows concatenated
  // in order; out_rows index them. Every logit has the bits of forward() on that sequence alone.
  struct Seq {
    const int32_t* tokens;
    int64_t n_tok;
    int64_t pos0;
    runtime::KvCache* kv;
  };
  void forward_batch(const Seq* seqs, int64_t n_seq, const int64_t* out_rows, int64_t n_out, float* logits);

 private:
  struct Buffers {
    int64_t n_tok = 0;
    std::vector<float> x, xn, q, k, v, att, tmp, gate, up;  // [n_tok, ...]
    std::vector<float> moe_out;                             // [n_tok, n_expert_used, n_embd]
    std::vector<int32_t> pos;
    std::vector<float> rope_cs;  // [n_tok, n_rot]: cos/sin per position, once per forward (all layers)
  };
  void ensure_buffers(int64_t n_tok);
  void rmsnorm_rows(const float* x, const float* w, int64_t n_tok, float* y);  // token-parallel
  void attention_block(const LayerWeights& L, int il, const Seq* seqs, int64_t n_seq, int64_t n_tok);
  void dense_ffn(const LayerWeights& L, int64_t n_tok);
  void moe_ffn(const LayerWeights& L, int64_t n_tok);

  const HParams& h_;
  const Weights& w_;
  cpu::ThreadPool& pool_;
  cpu::RopeParams rope_;
  Buffers b_;
  std::vector<cpu::AttnSeq> attn_;  // per forward_batch call
};

}  // namespace ys::engine
