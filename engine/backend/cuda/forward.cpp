#include "engine/backend/cuda/forward.h"

#include "common/error.h"

#include <algorithm>

namespace ys::cuda {

namespace {
template <typename T>
void grow(Buffer& b, int64_t n) {
  b.reserve(size_t(std::max<int64_t>(n, 1)) * sizeof(T));
}
}  // namespace

CudaForward::CudaForward(const engine::HParams& h, const DevWeights& w, int64_t n_ctx, int64_t max_batch,
                         bool deterministic)
    : h_(h), w_(w), n_ctx_(n_ctx), max_batch_(max_batch), deterministic_(deterministic) {
  const engine::HParams& p = h;
  rope_.n_rot = p.n_rot;
  rope_.neox = p.neox_rope;
  const cpu::RopeParams rp = p.rope_params();
  rope_.freq_base = rp.freq_base;
  rope_.freq_scale = rp.freq_scale;
  rope_.freq_factors = w.rope_freqs;
  rope_.ext_factor = rp.ext_factor;
  rope_.attn_factor = rp.attn_factor;
  rope_.beta_fast = rp.beta_fast;
  rope_.beta_slow = rp.beta_slow;
  rope_.n_ctx_orig = rp.n_ctx_orig;
  if (int64_t(h.n_expert_used) * max_batch > 65535)
    fail(ErrorKind::invalid_input, "CUDA backend: batch {} x {} experts per token exceeds the GEMV grid", max_batch,
         h.n_expert_used);
  const int64_t B = max_batch, e = h.n_embd, qd = int64_t(h.n_head) * h.head_dim;
  const int64_t kvd = int64_t(h.n_kv_head) * h.head_dim, ff = h.n_ff, slots = std::max(1, h.n_expert_used);
  grow<int64_t>(pos_, 1);
  grow<float>(attn_part_, attention_scratch_floats(std::min(B, kAttentionSplitMaxTokens), h.n_head, h.head_dim));
  grow<int32_t>(tokens_, B);
  grow<int32_t>(bad_, 1);
  grow<float>(x_, B * e);
  grow<float>(xn_, B * e);
  grow<float>(q_, B * qd);
  grow<float>(att_, B * qd);
  grow<float>(k_, B * kvd);
  grow<float>(v_, B * kvd);
  grow<float>(tmp_, B * std::max<int64_t>(e, h.n_expert));
  grow<float>(gate_, B * slots * ff);
  grow<float>(up_, B * slots * ff);
  if (h.n_expert) {
    grow<float>(moe_out_, B * slots * e);
    grow<float>(router_, B * h.n_expert);
    grow<int32_t>(sel_, B * slots);
    grow<float>(wsel_, B * slots);
  }
  grow<float>(logits_, B * int64_t(h.n_vocab));
  if (B > gemv_max_tokens() && !deterministic) {  // the f16 GEMM path
    grow<uint16_t>(scratch_w_, w.max_mat_elems);
    grow<uint16_t>(scratch_x_, B * w.max_cols);
  }
  k_cache_.resize(size_t(h.n_layer));
  v_cache_.resize(size_t(h.n_layer));
}

void CudaForward::truncate(int64_t n) { n_pos_ = std::clamp<int64_t>(n, 0, n_pos_); }

void CudaForward::reserve_kv(int64_t n) {
  if (n > n_ctx_) fail(ErrorKind::invalid_input, "{} positions do not fit the context window of {}", n, n_ctx_);
  if (n <= kv_cap_) return;
  const int64_t cap = std::min(n_ctx_, std::max({n, 2 * kv_cap_, int64_t(256)}));
  const size_t row = size_t(h_.n_kv_head) * size_t(h_.head_dim) * sizeof(float);
  for (auto* caches : {&k_cache_, &v_cache_})
    for (Buffer& b : *caches) {
      Buffer nb(size_t(cap) * row);
      if (n_pos_ > 0) device_copy(nb.data(), b.data(), size_t(n_pos_) * row);
      synchronize();
      b = std::move(nb);
    }
  kv_cap_ = cap;
}

void CudaForward::matmul(const DevMat& w, const float* x, int64_t n_tok, float* y) {
  if (deterministic_) return matmul_deterministic(w, x, n_tok, y);
  cuda::matmul(w, x, n_tok, y, scratch_w_.as<uint16_t>(), scratch_x_.as<uint16_t>());
}

void CudaForward::forward(const int32_t* tokens, int64_t n_tok, int64_t out_begin, int64_t n_out) {
  if (n_tok <= 0 || n_tok > max_batch_)
    fail(ErrorKind::invalid_input, "CUDA forward: batch of {} tokens; expected 1..{}", n_tok, max_batch_);
  if (out_begin < 0 || n_out < 0 || out_begin + n_out > n_tok)
    fail(ErrorKind::internal, "CUDA forward: output rows [{}, {}) outside the batch of {}", out_begin,
         out_begin + n_out, n_tok);
  for (int64_t t = 0; t < n_tok; ++t)
    if (tokens[t] < 0 || tokens[t] >= h_.n_vocab)
      fail(ErrorKind::invalid_input, "token id {} at batch row {} is outside the vocabulary [0, {})", tokens[t], t,
           h_.n_vocab);
  const int64_t pos0 = n_pos_;
  reserve_kv(pos0 + n_tok);
  to_device(tokens_.data(), tokens, size_t(n_tok) * sizeof(int32_t));
  to_device(pos_.data(), &pos0, sizeof(int64_t));
  n_pos_ = pos0 + n_tok;
  if (n_tok != 1 || n_out != 1 || graphs_failed_ || !graphs_enabled()) {
    body(n_tok, out_begin, n_out);
    return;
  }
  if (!graph_.valid() || graph_kv_cap_ != kv_cap_) {
    graph_.begin_capture();
    try {
      body(1, 0, 1);
    } catch (...) {
      graph_.end_capture(false);
      throw;
    }
    if (!graph_.end_capture(true)) {
      graphs_failed_ = true;  // e.g. a driver without graph support: plain launches from now on
      body(1, 0, 1);
      return;
    }
    graph_kv_cap_ = kv_cap_;
  }
  graph_.launch();
}

void CudaForward::body(int64_t n_tok, int64_t out_begin, int64_t n_out) {
  const int64_t e = h_.n_embd;
  embed(w_.tok_embd, tokens_.as<int32_t>(), n_tok, x_.as<float>(), bad_.as<int32_t>());
  float* x = x_.as<float>();
  float* xn = xn_.as<float>();
  for (int il = 0; il < h_.n_layer; ++il) {
    const DevLayer& L = w_.layers[size_t(il)];
    rmsnorm(x, L.attn_norm, n_tok, e, h_.rms_eps, xn);
    attention_block(L, il, n_tok);  // tmp = attention output
    add_inplace(x, tmp_.as<float>(), n_tok * e);
    rmsnorm(x, L.ffn_norm, n_tok, e, h_.rms_eps, xn);
    if (h_.n_expert) moe_ffn(L, n_tok); else dense_ffn(L, n_tok);
    add_inplace(x, tmp_.as<float>(), n_tok * e);
  }
  if (n_out == 0) return;
  rmsnorm(x + out_begin * e, w_.output_norm, n_out, e, h_.rms_eps, xn);
  matmul(w_.output, xn, n_out, logits_.as<float>());
}

void CudaForward::attention_block(const DevLayer& L, int il, int64_t n_tok) {
  const int64_t qd = int64_t(h_.n_head) * h_.head_dim, kvd = int64_t(h_.n_kv_head) * h_.head_dim;
  const float* xn = xn_.as<const float>();
  matmul(L.wq, xn, n_tok, q_.as<float>());
  matmul(L.wk, xn, n_tok, k_.as<float>());
  matmul(L.wv, xn, n_tok, v_.as<float>());
  if (L.bq) {
    add_bias(q_.as<float>(), L.bq, n_tok, qd);
    add_bias(k_.as<float>(), L.bk, n_tok, kvd);
    add_bias(v_.as<float>(), L.bv, n_tok, kvd);
  }
  const int64_t* pos0 = pos_.as<const int64_t>();
  rope(q_.as<float>(), n_tok, h_.n_head, h_.head_dim, pos0, rope_);
  rope(k_.as<float>(), n_tok, h_.n_kv_head, h_.head_dim, pos0, rope_);
  float* kc = k_cache_[size_t(il)].as<float>();
  float* vc = v_cache_[size_t(il)].as<float>();
  kv_store(k_.as<float>(), kc, pos0, kvd, n_tok);
  kv_store(v_.as<float>(), vc, pos0, kvd, n_tok);
  // Split-K (scratch) only outside deterministic mode: it is taken for n_tok <= 8 alone.
  attention(q_.as<float>(), kc, vc, n_tok, pos0, h_.n_head, h_.n_kv_head, h_.head_dim, att_.as<float>(),
            deterministic_ ? nullptr : attn_part_.as<float>());
  matmul(L.wo, att_.as<float>(), n_tok, tmp_.as<float>());
}

void CudaForward::dense_ffn(const DevLayer& L, int64_t n_tok) {
  const float* xn = xn_.as<const float>();
  matmul(L.gate, xn, n_tok, gate_.as<float>());
  matmul(L.up, xn, n_tok, up_.as<float>());
  silu_mul(gate_.as<float>(), up_.as<float>(), gate_.as<float>(), n_tok * h_.n_ff);
  matmul(L.down, gate_.as<float>(), n_tok, tmp_.as<float>());
}

// Router -> top-k on the device -> expert GEMVs indexed by the selected ids (no host
// round trip) -> weighted sum in rank order.
void CudaForward::moe_ffn(const DevLayer& L, int64_t n_tok) {
  const int k = h_.n_expert_used;
  const int64_t nb = n_tok * k;
  matmul(L.router, xn_.as<const float>(), n_tok, router_.as<float>());
  moe_topk(router_.as<float>(), n_tok, h_.n_expert, k, sel_.as<int32_t>(), wsel_.as<float>());
  gemv(L.gate_exps, xn_.as<const float>(), k, nb, sel_.as<int32_t>(), gate_.as<float>());
  gemv(L.up_exps, xn_.as<const float>(), k, nb, sel_.as<int32_t>(), up_.as<float>());
  silu_mul(gate_.as<float>(), up_.as<float>(), gate_.as<float>(), nb * h_.n_ff);
  gemv(L.down_exps, gate_.as<const float>(), 1, nb, sel_.as<int32_t>(), moe_out_.as<float>());
  moe_combine(moe_out_.as<float>(), wsel_.as<float>(), n_tok, k, h_.n_embd, tmp_.as<float>());
}

}  // namespace ys::cuda
