#include "engine/model/llama.h"

namespace ys::engine {

namespace {

// Scratch buffers of one step (Backend::buffer slots).
enum Slot : int { kX, kXn, kQ, kK, kV, kAtt, kTmp, kGate, kUp, kOut };

Mat up1(Backend& be, const WeightMat& m, const std::string& name) { return be.upload(&m, 1, name); }
Mat up_n(Backend& be, const std::vector<WeightMat>& m, const std::string& name) {
  return be.upload(m.data(), int64_t(m.size()), name);
}

}  // namespace

std::unique_ptr<Architecture> make_llama(const ArchContext& ctx) { return std::make_unique<Llama>(ctx); }

Llama::Llama(const ArchContext& ctx) : host_(load_weights(ctx.file, ctx.h, ctx.requant)) {
  h_ = ctx.h;
  Backend& be = ctx.be;
  const int64_t e = h_.n_embd, qd = int64_t(h_.n_head) * h_.head_dim, kvd = int64_t(h_.n_kv_head) * h_.head_dim;
  const Weights& w = *host_;
  tok_embd_ = up1(be, w.tok_embd, "token_embd.weight");
  output_ = up1(be, w.output, "output.weight");
  output_norm_ = be.upload(w.output_norm, e);
  rope_ = h_.rope_params();
  if (w.rope_freqs) rope_.freq_factors = be.upload(w.rope_freqs, h_.n_rot / 2);
  attn_.n_head = h_.n_head;
  attn_.n_kv_head = h_.n_kv_head;
  attn_.head_dim = h_.head_dim;
  moe_.n_expert = h_.n_expert;
  moe_.k = h_.n_expert_used;
  layers_.resize(w.layers.size());
  for (size_t il = 0; il < w.layers.size(); ++il) {
    const LayerWeights& H = w.layers[il];
    Layer& L = layers_[il];
    const std::string p = "blk." + std::to_string(il) + ".";
    L.attn_norm = be.upload(H.attn_norm, e);
    L.wq = up1(be, H.wq, p + "attn_q.weight");
    L.wk = up1(be, H.wk, p + "attn_k.weight");
    L.wv = up1(be, H.wv, p + "attn_v.weight");
    L.wo = up1(be, H.wo, p + "attn_output.weight");
    if (H.bq) {
      L.bq = be.upload(H.bq, qd);
      L.bk = be.upload(H.bk, kvd);
      L.bv = be.upload(H.bv, kvd);
    }
    L.ffn_norm = be.upload(H.ffn_norm, e);
    if (h_.n_expert == 0) {
      L.gate = up1(be, H.w_gate, p + "ffn_gate.weight");
      L.up = up1(be, H.w_up, p + "ffn_up.weight");
      L.down = up1(be, H.w_down, p + "ffn_down.weight");
    } else {
      L.moe.router = up1(be, H.router, p + "ffn_gate_inp.weight");
      L.moe.gate = up_n(be, H.gate_exps, p + "ffn_gate_exps.weight");
      L.moe.up = up_n(be, H.up_exps, p + "ffn_up_exps.weight");
      L.moe.down = up_n(be, H.down_exps, p + "ffn_down_exps.weight");
    }
  }
}

KvLayout Llama::kv_layout() const {
  KvLayout k;
  k.n_layer = h_.n_layer;
  k.row_dim = int64_t(h_.n_kv_head) * h_.head_dim;
  return k;
}

// x = embed(tokens); per layer: x += attn(norm(x)); x += ffn(norm(x)); logits of the
// output rows = output(norm(x[out_rows])).
void Llama::forward(Backend& be, const Step& s) {
  const int64_t n = s.n_rows, e = h_.n_embd;
  const Act x = be.buffer(kX, n, e), xn = be.buffer(kXn, n, e), tmp = be.buffer(kTmp, n, e);
  be.embed(tok_embd_, x);
  for (int il = 0; il < h_.n_layer; ++il) {
    const Layer& L = layers_[size_t(il)];
    be.rmsnorm(x, L.attn_norm, h_.rms_eps, xn);
    attention_block(be, L, il, xn, tmp);
    be.add(x, tmp);
    be.rmsnorm(x, L.ffn_norm, h_.rms_eps, xn);
    ffn_block(be, L, xn, tmp);
    be.add(x, tmp);
  }
  if (s.n_out == 0) return;
  const Act xo = be.buffer(kOut, s.n_out, e);
  be.gather_out_rows(x, xo);
  be.rmsnorm(xo, output_norm_, h_.rms_eps, xo);
  be.matmul(output_, xo, be.logits(h_.n_vocab));
}

void Llama::attention_block(Backend& be, const Layer& L, int il, Act xn, Act out) {
  const int64_t n = xn.rows, qd = int64_t(h_.n_head) * h_.head_dim, kvd = int64_t(h_.n_kv_head) * h_.head_dim;
  const Act q = be.buffer(kQ, n, qd), k = be.buffer(kK, n, kvd), v = be.buffer(kV, n, kvd);
  const Act att = be.buffer(kAtt, n, qd);
  const Backend::MatOut qkv[] = {{&L.wq, q}, {&L.wk, k}, {&L.wv, v}};
  be.matmul(qkv, 3, xn);
  if (L.bq) {
    be.add_bias(q, L.bq);
    be.add_bias(k, L.bk);
    be.add_bias(v, L.bv);
  }
  be.rope(q, h_.n_head, h_.head_dim, rope_);
  be.rope(k, h_.n_kv_head, h_.head_dim, rope_);
  be.attention(il, q, k, v, att, attn_);
  be.matmul(L.wo, att, out);
}

void Llama::ffn_block(Backend& be, const Layer& L, Act xn, Act out) {
  if (h_.n_expert > 0) return be.moe(L.moe, moe_, xn, out);
  const int64_t n = xn.rows;
  const Act gate = be.buffer(kGate, n, h_.n_ff), up = be.buffer(kUp, n, h_.n_ff);
  const Backend::MatOut gate_up[] = {{&L.gate, gate}, {&L.up, up}};
  be.matmul(gate_up, 2, xn);
  be.swiglu(gate, up, gate);
  be.matmul(L.down, gate, out);
}

}  // namespace ys::engine
