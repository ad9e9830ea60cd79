#include "engine/model/decoder.h"

#include "common/error.h"

#include <fmt/format.h>

namespace ys::engine {

namespace {

// The view of x [rows, n * head_dim] with one row per head: [rows * n, head_dim] (backend.h).
Act heads(Act x, int64_t head_dim) { return {x.p, x.rows * (x.cols / head_dim), head_dim}; }

}  // namespace

std::string LayerBinder::name(const char* tensor) const { return fmt::format("blk.{}.{}", il_, tensor); }

Vec LayerBinder::vec(const char* tensor, uint64_t n) { return be_.upload(b_.vec(name(tensor), n), int64_t(n)); }

Mat LayerBinder::mat(const char* tensor, uint64_t cols, uint64_t rows) {
  const std::string nm = name(tensor);
  const WeightMat m = b_.mat(nm, cols, rows);
  return be_.upload(&m, 1, nm);
}

Mat LayerBinder::mats(const char* tensor, uint64_t cols, uint64_t rows, uint64_t n_mat) {
  const std::string nm = name(tensor);
  const std::vector<WeightMat> m = b_.mats(nm, cols, rows, n_mat);
  return be_.upload(m.data(), int64_t(m.size()), nm);
}

AttnWeights LayerBinder::attention(bool qkv_bias, bool qk_norm) {
  const uint64_t e = uint64_t(h_.n_embd), hd = uint64_t(h_.head_dim);
  const uint64_t qd = uint64_t(h_.n_head) * hd, kvd = uint64_t(h_.n_kv_head) * hd;
  AttnWeights w;
  w.wq = mat("attn_q.weight", e, qd);  // GGUF dims [n_embd, n_head*hd]
  w.wk = mat("attn_k.weight", e, kvd);
  w.wv = mat("attn_v.weight", e, kvd);
  w.wo = mat("attn_output.weight", qd, e);
  if (qkv_bias) {
    w.bq = vec("attn_q.bias", qd);
    w.bk = vec("attn_k.bias", kvd);
    w.bv = vec("attn_v.bias", kvd);
  }
  if (qk_norm) {
    w.q_norm = vec("attn_q_norm.weight", hd);
    w.k_norm = vec("attn_k_norm.weight", hd);
  }
  return w;
}

GluWeights LayerBinder::glu(uint64_t n_ff, const std::string& suffix) {
  const uint64_t e = uint64_t(h_.n_embd);
  const std::string g = "ffn_gate" + suffix + ".weight", u = "ffn_up" + suffix + ".weight",
                    d = "ffn_down" + suffix + ".weight";
  return {mat(g.c_str(), e, n_ff), mat(u.c_str(), e, n_ff), mat(d.c_str(), n_ff, e)};
}

MoeWeights LayerBinder::moe(uint64_t n_ff, uint64_t n_expert) {
  const uint64_t e = uint64_t(h_.n_embd);
  MoeWeights w;
  w.router = mat("ffn_gate_inp.weight", e, n_expert);
  w.gate = mats("ffn_gate_exps.weight", e, n_ff, n_expert);
  w.up = mats("ffn_up_exps.weight", e, n_ff, n_expert);
  w.down = mats("ffn_down_exps.weight", n_ff, e, n_expert);
  return w;
}

void Decoder::bind_embeddings(const ArchContext& ctx, WeightBinder& b) {
  const gguf::File& f = ctx.file;
  const gguf::TensorInfo* te = b.find("token_embd.weight");
  if (!te || te->dims.size() != 2)
    fail(ErrorKind::format, "{}: missing 2-D tensor 'token_embd.weight' [n_embd, n_vocab]", f.path());
  if (te->dims[1] == 0 || te->dims[1] > (1u << 24))
    fail(ErrorKind::format, "{}: token_embd.weight has an implausible vocabulary size {}", f.path(), te->dims[1]);
  ctx.h.n_vocab = h_.n_vocab = int(te->dims[1]);
  const uint64_t e = uint64_t(h_.n_embd), nv = uint64_t(h_.n_vocab);
  const WeightMat emb = b.mat("token_embd.weight", e, nv);
  tok_embd_ = ctx.be.upload(&emb, 1, "token_embd.weight");
  if (b.find("output.weight")) {
    const WeightMat out = b.mat("output.weight", e, nv);
    output_ = ctx.be.upload(&out, 1, "output.weight");
  } else {
    output_ = tok_embd_;
  }
  output_norm_ = ctx.be.upload(b.vec("output_norm.weight", e), int64_t(e));
}

void Decoder::forward(Backend& be, const Step& s) {
  const int64_t n = s.n_rows, e = h_.n_embd;
  const Residual r{be, be.buffer(kX, n, e), be.buffer(kXn, n, e), be.buffer(kTmp, n, e), h_.rms_eps};
  be.embed(tok_embd_, r.x);
  if (embed_scale_ > 0.0f) be.scale(r.x, embed_scale_);
  for (int il = 0; il < h_.n_layer; ++il) layer(be, il, r);
  if (s.n_out == 0) return;
  const Act xo = be.buffer(kOut, s.n_out, e);
  be.gather_out_rows(r.x, xo);
  be.rmsnorm(xo, output_norm_, h_.rms_eps, xo);
  const Act logits = be.logits(h_.n_vocab);
  be.matmul(output_, xo, logits);
  if (final_softcap_ > 0.0f) be.softcap(logits, final_softcap_);
}

void Decoder::attention(Backend& be, const AttnWeights& w, int il, const AttnOptions& o, Act xn, Act out) const {
  const int64_t n = xn.rows, hd = h_.head_dim, qd = h_.n_head * hd, kvd = h_.n_kv_head * hd;
  const Act q = be.buffer(kQ, n, qd), k = be.buffer(kK, n, kvd), v = be.buffer(kV, n, kvd);
  const Act att = be.buffer(kAtt, n, qd);
  const Backend::MatOut qkv[] = {{&w.wq, q}, {&w.wk, k}, {&w.wv, v}};
  be.matmul(qkv, 3, xn);
  if (w.bq) {
    be.add_bias(q, w.bq);
    be.add_bias(k, w.bk);
    be.add_bias(v, w.bv);
  }
  auto qk_norm = [&] {
    be.rmsnorm(heads(q, hd), w.q_norm, h_.rms_eps, heads(q, hd));
    be.rmsnorm(heads(k, hd), w.k_norm, h_.rms_eps, heads(k, hd));
  };
  if (o.qk_norm == QkNorm::before_rope) qk_norm();
  if (o.rope) {
    be.rope(q, h_.n_head, h_.head_dim, *o.rope);
    be.rope(k, h_.n_kv_head, h_.head_dim, *o.rope);
  }
  if (o.qk_norm == QkNorm::after_rope) qk_norm();
  if (o.temperature) be.scale_by_position(q, *o.temperature);
  be.attention(il, q, k, v, att, *o.attn);
  be.matmul(w.wo, att, out);
}

void Decoder::glu(Backend& be, const GluWeights& w, int64_t n_ff, Glu act, Act xn, Act out) const {
  const int64_t n = xn.rows;
  const Act gate = be.buffer(kGate, n, n_ff), up = be.buffer(kUp, n, n_ff);
  const Backend::MatOut gate_up[] = {{&w.gate, gate}, {&w.up, up}};
  be.matmul(gate_up, 2, xn);
  if (act == Glu::silu)
    be.swiglu(gate, up, gate);
  else
    be.geglu(gate, up, gate);
  be.matmul(w.down, gate, out);
}

}  // namespace ys::engine
