// Qwen3 / Qwen3-MoE over the Backend operations (qwen3.h). Per layer, for rows x:
//   xn = rmsnorm(x, attn_norm); q, k, v = xn Wq^T, xn Wk^T, xn Wv^T
//   q_h = rmsnorm(q_h, attn_q_norm), k_h = rmsnorm(k_h, attn_k_norm) for every head h
//   q, k = rope_neox(q), rope_neox(k); x += attention(q, k, v) Wo^T
//   x += ffn(rmsnorm(x, ffn_norm))   (SwiGLU, or for qwen3moe the top-k experts' SwiGLU
//                                     weighted by the softmax of their router logits)
// logits = rmsnorm(x, output_norm) W_out^T (W_out = token_embd when tied).
// Keys: the llama set (hparams.h) plus attention.key_length (head size), and for qwen3moe
// expert_count, expert_used_count, expert_feed_forward_length and expert_weights_norm
// (default true: the selected weights renormalised, norm_topk_prob).
#include "engine/model/qwen3.h"

#include "common/error.h"
#include "engine/model/arch_common.h"

namespace ys::engine {

namespace {

enum Slot : int { kX, kXn, kQ, kK, kV, kAtt, kTmp, kGate, kUp, kOut };

struct Qwen3Params {
  bool moe = false;
  bool norm_topk = true;  // expert_weights_norm
};

Qwen3Params read_params(const gguf::File& f, const HParams& h) {
  Qwen3Params p;
  p.moe = h.arch == "qwen3moe";
  if (p.moe) {
    if (h.n_expert < 1)
      fail(ErrorKind::format, "{}: qwen3moe needs '{}.expert_count' >= 1 and '{}.expert_used_count' >= 1", f.path(),
           h.arch, h.arch);
    p.norm_topk = f.get_bool(h.arch + ".expert_weights_norm", true);
  } else if (h.n_expert != 0) {
    fail(ErrorKind::format, "{}: qwen3 is dense but '{}.expert_count' = {}; expected qwen3moe", f.path(), h.arch,
         h.n_expert);
  }
  return p;
}

class Qwen3 final : public Architecture {
 public:
  explicit Qwen3(const ArchContext& ctx);
  void forward(Backend& be, const Step& s) override;
  KvLayout kv_layout() const override { return {h_.n_layer, int64_t(h_.n_kv_head) * h_.head_dim}; }
  std::string weight_type() const override { return weight_type_; }

 private:
  struct Layer {
    Vec attn_norm, ffn_norm;  // [n_embd]
    Vec q_norm, k_norm;       // [head_dim]
    Mat wq, wk, wv, wo;       // q: [n_head*hd, n_embd]; k, v: [n_kv*hd, n_embd]; o: [n_embd, n_head*hd]
    Mat gate, up, down;       // dense: [n_ff, n_embd] x2, [n_embd, n_ff]
    MoeWeights moe;           // qwen3moe: router [n_expert, n_embd], experts [n_ff_exp, n_embd] x2, [n_embd, n_ff_exp]
  };
  void attention_block(Backend& be, const Layer& L, int il, Act xn, Act out);
  void ffn_block(Backend& be, const Layer& L, Act xn, Act out);

  HParams h_;
  Qwen3Params p_;
  std::vector<std::vector<uint8_t>> owned_;  // converted host tensors the backend may point into
  std::string weight_type_;
  Mat tok_embd_, output_;
  Vec output_norm_;
  RopeConfig rope_;
  AttnConfig attn_;
  MoeConfig moe_;
  std::vector<Layer> layers_;
};

Qwen3::Qwen3(const ArchContext& ctx) : h_(ctx.h), p_(read_params(ctx.file, ctx.h)) {
  Backend& be = ctx.be;
  WeightBinder b(ctx.file, owned_, ctx.requant);
  const gguf::TensorInfo* te = b.find("token_embd.weight");
  if (!te || te->dims.size() != 2 || te->dims[1] == 0 || te->dims[1] > (1u << 24))
    fail(ErrorKind::format, "{}: missing or implausible 2-D tensor 'token_embd.weight' [n_embd, n_vocab]",
         ctx.file.path());
  ctx.h.n_vocab = h_.n_vocab = int(te->dims[1]);
  const uint64_t e = uint64_t(h_.n_embd), nv = uint64_t(h_.n_vocab), hd = uint64_t(h_.head_dim);
  const uint64_t qd = uint64_t(h_.n_head) * hd, kvd = uint64_t(h_.n_kv_head) * hd;
  const WeightMat emb = b.mat("token_embd.weight", e, nv);
  tok_embd_ = upload_mat(be, emb, "token_embd.weight");
  output_ = b.find("output.weight") ? upload_mat(be, b.mat("output.weight", e, nv), "output.weight") : tok_embd_;
  output_norm_ = be.upload(b.vec("output_norm.weight", e), int64_t(e));
  layers_.resize(size_t(h_.n_layer));
  for (int il = 0; il < h_.n_layer; ++il) {
    Layer& L = layers_[size_t(il)];
    auto mat = [&](const char* t, uint64_t cols, uint64_t rows) {
      return upload_mat(be, b.mat(blk(il, t), cols, rows), blk(il, t));
    };
    auto vec = [&](const char* t, uint64_t n) { return be.upload(b.vec(blk(il, t), n), int64_t(n)); };
    L.attn_norm = vec("attn_norm.weight", e);
    L.wq = mat("attn_q.weight", e, qd);
    L.wk = mat("attn_k.weight", e, kvd);
    L.wv = mat("attn_v.weight", e, kvd);
    L.wo = mat("attn_output.weight", qd, e);
    L.q_norm = vec("attn_q_norm.weight", hd);
    L.k_norm = vec("attn_k_norm.weight", hd);
    L.ffn_norm = vec("ffn_norm.weight", e);
    if (!p_.moe) {
      const uint64_t ff = uint64_t(h_.n_ff);
      L.gate = mat("ffn_gate.weight", e, ff);
      L.up = mat("ffn_up.weight", e, ff);
      L.down = mat("ffn_down.weight", ff, e);
      continue;
    }
    const uint64_t ne = uint64_t(h_.n_expert), ff = uint64_t(h_.n_ff_exp);
    L.moe.router = mat("ffn_gate_inp.weight", e, ne);
    L.moe.gate = upload_mats(be, b.mats(blk(il, "ffn_gate_exps.weight"), e, ff, ne), blk(il, "ffn_gate_exps.weight"));
    L.moe.up = upload_mats(be, b.mats(blk(il, "ffn_up_exps.weight"), e, ff, ne), blk(il, "ffn_up_exps.weight"));
    L.moe.down = upload_mats(be, b.mats(blk(il, "ffn_down_exps.weight"), ff, e, ne), blk(il, "ffn_down_exps.weight"));
  }
  weight_type_ = b.weight_type();
  rope_ = h_.rope_params();
  attn_.n_head = h_.n_head;
  attn_.n_kv_head = h_.n_kv_head;
  attn_.head_dim = h_.head_dim;
  moe_.n_expert = h_.n_expert;
  moe_.k = h_.n_expert_used;
  moe_.gating = p_.norm_topk ? MoeGating::softmax_topk : MoeGating::softmax_all;
}

void Qwen3::forward(Backend& be, const Step& s) {
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

void Qwen3::attention_block(Backend& be, const Layer& L, int il, Act xn, Act out) {
  const int64_t n = xn.rows, hd = h_.head_dim, qd = h_.n_head * hd, kvd = h_.n_kv_head * hd;
  const Act q = be.buffer(kQ, n, qd), k = be.buffer(kK, n, kvd), v = be.buffer(kV, n, kvd);
  const Act att = be.buffer(kAtt, n, qd);
  const Backend::MatOut qkv[] = {{&L.wq, q}, {&L.wk, k}, {&L.wv, v}};
  be.matmul(qkv, 3, xn);
  be.rmsnorm(heads(q, hd), L.q_norm, h_.rms_eps, heads(q, hd));
  be.rmsnorm(heads(k, hd), L.k_norm, h_.rms_eps, heads(k, hd));
  be.rope(q, h_.n_head, h_.head_dim, rope_);
  be.rope(k, h_.n_kv_head, h_.head_dim, rope_);
  be.attention(il, q, k, v, att, attn_);
  be.matmul(L.wo, att, out);
}

void Qwen3::ffn_block(Backend& be, const Layer& L, Act xn, Act out) {
  if (p_.moe) return be.moe(L.moe, moe_, xn, out);
  const int64_t n = xn.rows;
  const Act gate = be.buffer(kGate, n, h_.n_ff), up = be.buffer(kUp, n, h_.n_ff);
  const Backend::MatOut gate_up[] = {{&L.gate, gate}, {&L.up, up}};
  be.matmul(gate_up, 2, xn);
  be.swiglu(gate, up, gate);
  be.matmul(L.down, gate, out);
}

}  // namespace

std::unique_ptr<Architecture> make_qwen3(const ArchContext& ctx) { return std::make_unique<Qwen3>(ctx); }

std::vector<ArchFact> qwen3_facts(const gguf::File& f, const HParams& h) {
  const Qwen3Params p = read_params(f, h);
  std::vector<ArchFact> out;
  out.push_back({"head size", std::to_string(h.head_dim), h.arch + ".attention.key_length"});
  out.push_back({"QK norm", "per-head RMSNorm of queries and keys before rope", ""});
  out.push_back({"rope", "NeoX pairs (i, i + n_rot/2)", ""});
  if (p.moe) {
    out.push_back({"experts", fmt::format("{} ({} used per token), no shared expert", h.n_expert, h.n_expert_used),
                   h.arch + ".expert_count"});
    out.push_back({"expert FFN", std::to_string(h.n_ff_exp), h.arch + ".expert_feed_forward_length"});
    out.push_back({"expert weights",
                   p.norm_topk ? "softmax renormalised over the selected (norm_topk_prob)"
                               : "softmax over all experts, not renormalised",
                   h.arch + ".expert_weights_norm"});
  }
  return out;
}

}  // namespace ys::engine
