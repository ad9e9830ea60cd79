#include "engine/model/llama.h"

#include "common/error.h"
#include "engine/backend/cpu/ops.h"
#include "engine/quant/quant.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ys::engine {

LlamaForward::LlamaForward(const HParams& h, const Weights& w, cpu::ThreadPool& pool) : h_(h), w_(w), pool_(pool) {
  rope_ = h.rope_params();
  rope_.freq_factors = w.rope_freqs;
}

namespace {

// Token-parallel elementwise ops: each token's row is computed by the same routine
// whichever thread runs it, so the split never changes a bit. Small batches run inline
// (waking the workers costs more than the work).
constexpr int64_t kParallelRows = 16;

template <class Fn>
void over_rows(cpu::ThreadPool& pool, int64_t n_tok, const Fn& fn) {
  if (n_tok < kParallelRows) fn(int64_t(0), n_tok);
  else pool.parallel_for(n_tok, [&](int64_t b, int64_t e, int) { fn(b, e); });
}

}  // namespace

void LlamaForward::rmsnorm_rows(const float* x, const float* w, int64_t n_tok, float* y) {
  const int64_t e = h_.n_embd;
  over_rows(pool_, n_tok, [&](int64_t b, int64_t end) {
    cpu::rmsnorm(x + b * e, w, end - b, e, h_.rms_eps, y + b * e);
  });
}

void LlamaForward::ensure_buffers(int64_t n_tok) {
  if (b_.n_tok >= n_tok) return;
  const int64_t e = h_.n_embd, qd = int64_t(h_.n_head) * h_.head_dim, kvd = int64_t(h_.n_kv_head) * h_.head_dim;
  const int64_t ff = h_.n_ff;
  const int64_t slots = std::max(1, h_.n_expert_used);
  b_.x.assign(size_t(n_tok * e), 0.0f);
  b_.xn.assign(size_t(n_tok * e), 0.0f);
  b_.q.assign(size_t(n_tok * qd), 0.0f);
  b_.k.assign(size_t(n_tok * kvd), 0.0f);
  b_.v.assign(size_t(n_tok * kvd), 0.0f);
  b_.att.assign(size_t(n_tok * qd), 0.0f);
  b_.tmp.assign(size_t(n_tok * std::max({e, int64_t(h_.n_expert)})), 0.0f);
  b_.gate.assign(size_t(n_tok * slots * ff), 0.0f);
  b_.up.assign(size_t(n_tok * slots * ff), 0.0f);
  if (h_.n_expert) b_.moe_out.assign(size_t(n_tok * slots * e), 0.0f);
  b_.pos.assign(size_t(n_tok), 0);
  b_.rope_cs.assign(size_t(n_tok * rope_.n_rot), 0.0f);
  b_.n_tok = n_tok;
}

void LlamaForward::forward(const int32_t* tokens, int64_t n_tok, int64_t pos0, runtime::KvCache& kv,
                           const int64_t* out_rows, int64_t n_out, float* logits) {
  const Seq one{tokens, n_tok, pos0, &kv};
  forward_batch(&one, 1, out_rows, n_out, logits);
}

void LlamaForward::forward_batch(const Seq* seqs, int64_t n_seq, const int64_t* out_rows, int64_t n_out,
                                 float* logits) {
  int64_t n_tok = 0;
  for (int64_t s = 0; s < n_seq; ++s) n_tok += seqs[s].n_tok;
  ensure_buffers(std::max(n_tok, n_out));
  const int64_t e = h_.n_embd;
  // Token embeddings: x[t] = token_embd row tokens[t].
  const uint64_t emb_row = quant::row_bytes(w_.tok_embd.type, uint64_t(e));
  int64_t t = 0;
  for (int64_t s = 0; s < n_seq; ++s) {
    seqs[s].kv->reserve(seqs[s].pos0 + seqs[s].n_tok);
    for (int64_t i = 0; i < seqs[s].n_tok; ++i, ++t) {
      const int32_t id = seqs[s].tokens[i];
      if (id < 0 || id >= h_.n_vocab)
        fail(ErrorKind::invalid_input, "token id {} at batch row {} is outside the vocabulary [0, {})", id, t,
             h_.n_vocab);
      const auto* row = static_cast<const uint8_t*>(w_.tok_embd.data) + uint64_t(id) * emb_row;
      quant::dequantize_row(w_.tok_embd.type, row, &b_.x[size_t(t * e)], e);
      b_.pos[size_t(t)] = int32_t(seqs[s].pos0 + i);
    }
  }
  // RoPE angles of the batch's positions, once for all layers.
  over_rows(pool_, n_tok, [&](int64_t b, int64_t end) {
    cpu::rope_table(b_.pos.data() + b, end - b, rope_, b_.rope_cs.data() + b * rope_.n_rot);
  });
  for (int il = 0; il < h_.n_layer; ++il) {
    const LayerWeights& L = w_.layers[size_t(il)];
    rmsnorm_rows(b_.x.data(), L.attn_norm, n_tok, b_.xn.data());
    attention_block(L, il, seqs, n_seq, n_tok);                    // tmp = attention output
    cpu::add_inplace(b_.x.data(), b_.tmp.data(), n_tok * e);        // residual
    rmsnorm_rows(b_.x.data(), L.ffn_norm, n_tok, b_.xn.data());
    if (h_.n_expert) moe_ffn(L, n_tok); else dense_ffn(L, n_tok);  // tmp = ffn output
    cpu::add_inplace(b_.x.data(), b_.tmp.data(), n_tok * e);        // residual
  }
  for (int64_t s = 0; s < n_seq; ++s) seqs[s].kv->set_n_pos(seqs[s].pos0 + seqs[s].n_tok);
  // Final norm of the requested rows only, then the vocabulary projection.
  for (int64_t i = 0; i < n_out; ++i) {
    if (out_rows[i] < 0 || out_rows[i] >= n_tok)
      fail(ErrorKind::internal, "output row {} outside the batch of {} rows", out_rows[i], n_tok);
    cpu::rmsnorm(&b_.x[size_t(out_rows[i] * e)], w_.output_norm, 1, e, h_.rms_eps, &b_.xn[size_t(i * e)]);
  }
  cpu::matmul(w_.output, b_.xn.data(), n_out, logits, pool_);
}

void LlamaForward::attention_block(const LayerWeights& L, int il, const Seq* seqs, int64_t n_seq, int64_t n_tok) {
  const int64_t qd = int64_t(h_.n_head) * h_.head_dim, kvd = int64_t(h_.n_kv_head) * h_.head_dim;
  // q: [n_tok, n_head*hd], k and v: [n_tok, n_kv*hd]
  const cpu::MatmulOut qkv[] = {{&L.wq, b_.q.data()}, {&L.wk, b_.k.data()}, {&L.wv, b_.v.data()}};
  cpu::matmul_shared(qkv, 3, b_.xn.data(), n_tok, pool_);
  if (L.bq) {
    cpu::add_bias(b_.q.data(), L.bq, n_tok, qd);
    cpu::add_bias(b_.k.data(), L.bk, n_tok, kvd);
    cpu::add_bias(b_.v.data(), L.bv, n_tok, kvd);
  }
  over_rows(pool_, n_tok, [&](int64_t b, int64_t end) {
    const float* cs = b_.rope_cs.data() + b * rope_.n_rot;
    cpu::rope_apply(b_.q.data() + b * qd, end - b, h_.n_head, h_.head_dim, cs, rope_);
    cpu::rope_apply(b_.k.data() + b * kvd, end - b, h_.n_kv_head, h_.head_dim, cs, rope_);
  });
  attn_.clear();
  int64_t row0 = 0;
  for (int64_t s = 0; s < n_seq; ++s) {
    runtime::KvCache& kv = *seqs[s].kv;
    const int64_t m = seqs[s].n_tok, pos0 = seqs[s].pos0;
    std::copy_n(&b_.k[size_t(row0 * kvd)], m * kvd, kv.k(il) + pos0 * kvd);
    std::copy_n(&b_.v[size_t(row0 * kvd)], m * kvd, kv.v(il) + pos0 * kvd);
    attn_.push_back({kv.k(il), kv.v(il), row0, m, pos0});
    row0 += m;
  }
  cpu::attention_batch(b_.q.data(), attn_.data(), int64_t(attn_.size()), h_.n_head, h_.n_kv_head, h_.head_dim,
                       b_.att.data(), pool_);
  cpu::matmul(L.wo, b_.att.data(), n_tok, b_.tmp.data(), pool_);  // tmp: [n_tok, n_embd]
}

void LlamaForward::dense_ffn(const LayerWeights& L, int64_t n_tok) {
  const int64_t ff = h_.n_ff;
  const cpu::MatmulOut gate_up[] = {{&L.w_gate, b_.gate.data()}, {&L.w_up, b_.up.data()}};  // [n_tok, n_ff] each
  cpu::matmul_shared(gate_up, 2, b_.xn.data(), n_tok, pool_);
  over_rows(pool_, n_tok, [&](int64_t b, int64_t end) {
    cpu::silu_mul(b_.gate.data() + b * ff, b_.up.data() + b * ff, b_.gate.data() + b * ff, (end - b) * ff);
  });
  cpu::matmul(L.w_down, b_.gate.data(), n_tok, b_.tmp.data(), pool_);  // [n_tok, n_embd]
}

// Sparse MoE: router logits -> top-k experts per token (ties to the lower id) -> softmax
// over the selected logits -> weighted sum of the experts' SwiGLU outputs, summed in rank order.
void LlamaForward::moe_ffn(const LayerWeights& L, int64_t n_tok) {
  const int64_t e = h_.n_embd, ff = h_.n_ff, ne = h_.n_expert, k = h_.n_expert_used;
  std::vector<float> router(size_t(n_tok * ne));
  cpu::matmul(L.router, b_.xn.data(), n_tok, router.data(), pool_);  // [n_tok, n_expert]
  std::vector<int32_t> sel(size_t(n_tok * k));
  std::vector<float> wsel(size_t(n_tok * k));
  std::vector<int32_t> ids(static_cast<size_t>(ne));
  for (int64_t t = 0; t < n_tok; ++t) {
    const float* r = &router[size_t(t * ne)];
    std::iota(ids.begin(), ids.end(), 0);
    std::partial_sort(ids.begin(), ids.begin() + k, ids.end(),
                      [&](int32_t a, int32_t b) { return r[a] > r[b] || (r[a] == r[b] && a < b); });
    std::copy_n(ids.begin(), k, &sel[size_t(t * k)]);
    for (int64_t j = 0; j < k; ++j) wsel[size_t(t * k + j)] = r[ids[size_t(j)]];
    cpu::softmax(&wsel[size_t(t * k)], k);
  }
  // Per expert: gather its tokens, run the SwiGLU FFN on them as one batch.
  std::vector<float> xin, outb;
  for (int32_t ex = 0; ex < ne; ++ex) {
    std::vector<int64_t> slots;  // t*k + j
    for (int64_t s = 0; s < n_tok * k; ++s)
      if (sel[size_t(s)] == ex) slots.push_back(s);
    if (slots.empty()) continue;
    const int64_t m = int64_t(slots.size());
    xin.resize(size_t(m * e));
    outb.resize(size_t(m * e));
    for (int64_t i = 0; i < m; ++i) std::copy_n(&b_.xn[size_t(slots[size_t(i)] / k * e)], e, &xin[size_t(i * e)]);
    cpu::matmul(L.gate_exps[size_t(ex)], xin.data(), m, b_.gate.data(), pool_);  // [m, n_ff]
    cpu::matmul(L.up_exps[size_t(ex)], xin.data(), m, b_.up.data(), pool_);      // [m, n_ff]
    cpu::silu_mul(b_.gate.data(), b_.up.data(), b_.gate.data(), m * ff);
    cpu::matmul(L.down_exps[size_t(ex)], b_.gate.data(), m, outb.data(), pool_);  // [m, n_embd]
    for (int64_t i = 0; i < m; ++i) std::copy_n(&outb[size_t(i * e)], e, &b_.moe_out[size_t(slots[size_t(i)] * e)]);
  }
  for (int64_t t = 0; t < n_tok; ++t) {
    float* o = &b_.tmp[size_t(t * e)];
    std::fill_n(o, e, 0.0f);
    for (int64_t j = 0; j < k; ++j) {
      const float wj = wsel[size_t(t * k + j)];
      const float* src = &b_.moe_out[size_t((t * k + j) * e)];
      for (int64_t i = 0; i < e; ++i) o[i] += wj * src[i];
    }
  }
}

}  // namespace ys::engine
