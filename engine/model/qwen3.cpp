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
#include "engine/model/decoder.h"

#include <fmt/format.h>

namespace ys::engine {

namespace {

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

class Qwen3 final : public Decoder {
 public:
  explicit Qwen3(const ArchContext& ctx);

 private:
  struct Layer {
    Vec attn_norm, ffn_norm;  // [n_embd]
    AttnWeights attn;         // with q_norm, k_norm [head_dim]
    GluWeights ffn;           // dense
    MoeWeights moe;           // qwen3moe: router [n_expert, n_embd], experts of n_ff_exp rows
  };
  void layer(Backend& be, int il, const Residual& r) override;

  Qwen3Params p_;
  RopeConfig rope_;
  AttnConfig attn_;
  MoeConfig moe_;
  std::vector<Layer> layers_;
};

Qwen3::Qwen3(const ArchContext& ctx) : Decoder(ctx), p_(read_params(ctx.file, ctx.h)) {
  Backend& be = ctx.be;
  WeightBinder b = binder(ctx.file);
  bind_embeddings(ctx, b);
  const uint64_t e = uint64_t(h_.n_embd);
  layers_.resize(size_t(h_.n_layer));
  for (int il = 0; il < h_.n_layer; ++il) {
    Layer& L = layers_[size_t(il)];
    LayerBinder lb(be, b, h_, il);
    L.attn_norm = lb.vec("attn_norm.weight", e);
    L.attn = lb.attention(false, true);
    L.ffn_norm = lb.vec("ffn_norm.weight", e);
    if (p_.moe)
      L.moe = lb.moe(uint64_t(h_.n_ff_exp), uint64_t(h_.n_expert));
    else
      L.ffn = lb.glu(uint64_t(h_.n_ff));
  }
  weight_type_ = b.weight_type();
  rope_ = h_.rope_params();
  attn_ = attn_config();
  moe_.n_expert = h_.n_expert;
  moe_.k = h_.n_expert_used;
  moe_.gating = p_.norm_topk ? MoeGating::softmax_topk : MoeGating::softmax_all;
}

void Qwen3::layer(Backend& be, int il, const Residual& r) {
  const Layer& L = layers_[size_t(il)];
  const AttnOptions o{.rope = &rope_, .attn = &attn_, .qk_norm = QkNorm::before_rope};
  r.add(L.attn_norm, [&](Act xn, Act out) { attention(be, L.attn, il, o, xn, out); });
  r.add(L.ffn_norm, [&](Act xn, Act out) {
    if (p_.moe)
      be.moe(L.moe, moe_, xn, out);
    else
      glu(be, L.ffn, h_.n_ff, Glu::silu, xn, out);
  });
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
