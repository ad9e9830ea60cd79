// The Llama family over the decoder blocks (llama.h). Per layer, for rows x:
//   x += attention(rope(xn Wq^T [+ bq]), rope(xn Wk^T [+ bk]), xn Wv^T [+ bv]) Wo^T,  xn = rmsnorm(x, attn_norm)
//   x += down(silu(gate xn) * up xn), xn = rmsnorm(x, ffn_norm); with experts: the top-k
//        experts' SwiGLU weighted by the softmax of their router logits (Mixtral)
// Rope pairs (2i, 2i+1), or NeoX pairs for qwen2; llama3 frequency factors from rope_freqs.
#include "engine/model/llama.h"

#include "engine/model/decoder.h"

namespace ys::engine {

namespace {

class Llama final : public Decoder {
 public:
  explicit Llama(const ArchContext& ctx);

 private:
  struct Layer {
    Vec attn_norm, ffn_norm;  // [n_embd]
    AttnWeights attn;         // with QKV biases for qwen2
    GluWeights ffn;           // dense FFN
    MoeWeights moe;           // sparse MoE (n_expert > 0)
  };
  void layer(Backend& be, int il, const Residual& r) override;

  RopeConfig rope_;
  AttnConfig attn_;
  MoeConfig moe_;
  std::vector<Layer> layers_;
};

Llama::Llama(const ArchContext& ctx) : Decoder(ctx) {
  Backend& be = ctx.be;
  WeightBinder b = binder(ctx.file);
  bind_embeddings(ctx, b);
  rope_ = h_.rope_params();
  if (b.find("rope_freqs.weight"))
    rope_.freq_factors = be.upload(b.vec("rope_freqs.weight", uint64_t(h_.n_rot / 2)), h_.n_rot / 2);
  const uint64_t e = uint64_t(h_.n_embd);
  layers_.resize(size_t(h_.n_layer));
  for (int il = 0; il < h_.n_layer; ++il) {
    Layer& L = layers_[size_t(il)];
    LayerBinder lb(be, b, h_, il);
    L.attn_norm = lb.vec("attn_norm.weight", e);
    L.attn = lb.attention(h_.qkv_bias, false);
    L.ffn_norm = lb.vec("ffn_norm.weight", e);
    if (h_.n_expert == 0)
      L.ffn = lb.glu(uint64_t(h_.n_ff));
    else
      L.moe = lb.moe(uint64_t(h_.n_ff), uint64_t(h_.n_expert));
  }
  weight_type_ = b.weight_type();
  attn_ = attn_config();
  moe_.n_expert = h_.n_expert;
  moe_.k = h_.n_expert_used;
}

void Llama::layer(Backend& be, int il, const Residual& r) {
  const Layer& L = layers_[size_t(il)];
  r.add(L.attn_norm, [&](Act xn, Act out) { attention(be, L.attn, il, {.rope = &rope_, .attn = &attn_}, xn, out); });
  r.add(L.ffn_norm, [&](Act xn, Act out) {
    if (h_.n_expert > 0)
      be.moe(L.moe, moe_, xn, out);
    else
      glu(be, L.ffn, h_.n_ff, Glu::silu, xn, out);
  });
}

}  // namespace

std::unique_ptr<Architecture> make_llama(const ArchContext& ctx) { return std::make_unique<Llama>(ctx); }

}  // namespace ys::engine
