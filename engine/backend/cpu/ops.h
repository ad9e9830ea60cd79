// Elementwise and attention ops of the CPU backend (everything but matmul).
//
// Every op computes each output element with one fixed routine and a fixed reduction
// order, so results never depend on batch size, chunking or thread count.
// Layouts: activations are row-major [n_tok, dim] float arrays.
#pragma once

#include <cstdint>

namespace ys::cpu {

class ThreadPool;

// y[t,:] = x[t,:] / sqrt(mean(x[t,:]^2) + eps) * w[:]   (x and y may alias)
void rmsnorm(const float* x, const float* w, int64_t n_tok, int64_t dim, float eps, float* y);

// x[i] += b[i % dim] for every row (bias add).
void add_bias(float* x, const float* b, int64_t n_tok, int64_t dim);

// y[i] += x[i]
void add_inplace(float* y, const float* x, int64_t n);

// out[i] = silu(gate[i]) * up[i], silu(g) = g / (1 + exp(-g))
void silu_mul(const float* gate, const float* up, float* out, int64_t n);

// In-place softmax of one row, accumulated in double.
void softmax(float* x, int64_t n);

// out[i] = gelu(gate[i]) * up[i], gelu the tanh form 0.5 g (1 + tanh(sqrt(2/pi) (g + 0.044715 g^3)))
// evaluated in double and rounded once to float before the product.
void gelu_mul(const float* gate, const float* up, float* out, int64_t n);
// x[i] *= s
void scale_inplace(float* x, int64_t n, float s);
// x[i] = float(cap * tanh(double(x[i]) / cap))
void softcap_inplace(float* x, int64_t n, float cap);
// Llama 4's attention temperature of a row at position pos (engine::PosScale):
// float(log(double(floor((float(pos) + offset) / floor_scale)) + 1) * scale + 1) (the rest in double).
float position_scale(int32_t pos, float floor_scale, float scale, float offset);

// Rotary position embedding, ggml semantics.
struct RopeParams {
  int n_rot = 0;                 // rotated dims per head (rope.dimension_count), even, <= head_dim
  bool neox = false;             // false: pairs (2i, 2i+1) (llama); true: pairs (i, i+n_rot/2) (qwen2)
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;       // 1/factor for linear and YaRN scaling
  const float* freq_factors = nullptr;  // [n_rot/2] llama3 per-dimension divisors, or null
  // YaRN (ext_factor = 0 disables the ramp)
  float ext_factor = 0.0f;
  float attn_factor = 1.0f;
  float beta_fast = 32.0f;
  float beta_slow = 1.0f;
  int n_ctx_orig = 0;
};

// x: [n_tok, n_head * head_dim]; token t sits at position pos[t].
void rope(float* x, int64_t n_tok, int n_head, int head_dim, const int32_t* pos, const RopeParams& p);
// The same in two steps, so that a forward pass computes the angles once for all layers:
// cs[t * n_rot + 2i], [.. + 2i + 1] = cos, sin of pair i at position pos[t] (float, as rope
// rounds them), then the rotation. rope() == rope_table() + rope_apply(), bit for bit.
void rope_table(const int32_t* pos, int64_t n_tok, const RopeParams& p, float* cs);
void rope_apply(float* x, int64_t n_tok, int n_head, int head_dim, const float* cs, const RopeParams& p);

// Causal GQA attention of n_tok queries of ONE sequence against its KV cache.
// q:   [n_tok, n_head * head_dim], query t at position pos0 + t
// k,v: cache rows [n_pos, n_kv_head * head_dim] with n_pos >= pos0 + n_tok
// out: [n_tok, n_head * head_dim]; query t attends to cache rows 0..pos0+t.
// Query head h uses kv head h / (n_head / n_kv_head). Scale = 1/sqrt(head_dim).
void attention(const float* q, const float* k, const float* v, int64_t n_tok, int64_t pos0, int n_head,
               int n_kv_head, int head_dim, float* out, ThreadPool& pool);

// One sequence of a multi-sequence batch (continuous batching): its n_tok query rows are
// batch rows [row0, row0 + n_tok) at positions pos0..; k, v are ITS cache rows (as above).
// Paged cache (k_blocks set): cache row j lives in block j >> block_shift, at row
// j & (2^block_shift - 1) of it; k_blocks[b] / v_blocks[b] point at row 0 of block b
// (rows of n_kv_head * head_dim floats, or IEEE halves with kv_f16) and k, v are ignored.
// The sequences of one call all have f32 caches or all f16.
struct AttnSeq {
  const float* k;
  const float* v;
  int64_t row0;
  int64_t n_tok;
  int64_t pos0;
  const void* const* k_blocks = nullptr;
  const void* const* v_blocks = nullptr;
  int block_shift = 0;
  bool kv_f16 = false;
};

// What a query sees beyond plain causal attention (engine::AttnConfig): the query at
// position p attends to keys [first_key(p), p] with
//   window > 0: first = max(0, p - window + 1) (sliding window: the last `window` positions),
//   chunk > 0:  first = p - p % chunk (chunked local attention),
// scores s_j = (q.k_j) * scale, then s_j = float(softcap * tanh(double(s_j) / softcap)) when
// softcap > 0. The defaults are plain causal attention with scale 1/sqrt(head_dim).
struct AttnOptions {
  float scale = 0.0f;  // 0: float(1 / sqrt(head_dim))
  int64_t window = 0;
  int64_t chunk = 0;
  float softcap = 0.0f;
  int64_t first_key(int64_t pos) const {
    if (window > 0) return pos - window + 1 > 0 ? pos - window + 1 : 0;
    if (chunk > 0) return pos - pos % chunk;
    return 0;
  }
};

// attention() for several sequences at once: q, out are [sum n_tok, n_head * head_dim];
// seqs sorted by row0 and contiguous. Each (row, head) result has the same bits as
// attention() of that sequence alone.
void attention_batch(const float* q, const AttnSeq* seqs, int64_t n_seq, int n_head, int n_kv_head, int head_dim,
                     float* out, ThreadPool& pool, const AttnOptions& opt = {});

}  // namespace ys::cpu
