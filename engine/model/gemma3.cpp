// Gemma 3 over the Backend operations (gemma3.h). For rows x:
//   x = token_embd[tokens] * float(sqrt(n_embd))
//   per layer il (sliding iff n_swa > 0 and il % pattern < pattern - 1):
//     xn = rmsnorm(x, attn_norm); q, k, v = xn Wq^T, xn Wk^T, xn Wv^T
//     q_h = rmsnorm(q_h, attn_q_norm), k_h = rmsnorm(k_h, attn_k_norm) per head
//     q, k = rope_neox(q, k) with base freq_base_swa and no scaling on sliding layers, the
//            file's base and rope scaling on global ones
//     a = attention(q, k, v; scale, window n_swa on sliding layers) Wo^T
//     x += rmsnorm(a, post_attention_norm)
//     x += rmsnorm(down(gelu_tanh(gate xn') * up xn'), post_ffw_norm), xn' = rmsnorm(x, ffn_norm)
//   logits = rmsnorm(x, output_norm) W_out^T, then cap * tanh(logits / cap) when capped.
// Keys (besides the llama set): attention.key_length (head size), attention.sliding_window
// (0 or absent: every layer global), attention.sliding_window_pattern (default 6),
// rope.freq_base_swa (default 10000), final_logit_softcapping (absent or 0: none),
// attention.scale (default llama.cpp's rule: 1/sqrt(n_embd / n_head) for the 62-layer 27B,
// else 1/sqrt(head size)).
#include "engine/model/gemma3.h"

#include "common/error.h"
#include "engine/model/decoder.h"

#include <fmt/format.h>

#include <cmath>

namespace ys::engine {

namespace {

struct Gemma3Params {
  int64_t n_swa = 0;    // sliding window (0: none)
  int swa_pattern = 6;  // layer il slides iff il % pattern < pattern - 1
  float freq_base_swa = 10000.0f;
  float final_softcap = 0.0f;
  float attn_scale = 0.0f;
  bool sliding(int il) const { return n_swa > 0 && il % swa_pattern < swa_pattern - 1; }
};

Gemma3Params read_params(const gguf::File& f, const HParams& h) {
  const std::string& a = h.arch;
  Gemma3Params p;
  p.n_swa = int64_t(f.get_uint(a + ".attention.sliding_window", 0));
  p.swa_pattern = int(f.get_uint(a + ".attention.sliding_window_pattern", 6));
  p.freq_base_swa = float(f.get_float(a + ".rope.freq_base_swa", 10000.0));
  p.final_softcap = float(f.get_float(a + ".final_logit_softcapping", 0.0));
  const double rule =
      h.n_layer == 62 ? 1.0 / std::sqrt(double(h.n_embd / h.n_head)) : 1.0 / std::sqrt(double(h.head_dim));
  p.attn_scale = float(f.get_float(a + ".attention.scale", rule));
  auto bad = [&](const std::string& key, const std::string& what) {
    fail(ErrorKind::format, "{}: metadata '{}.{}': {}", f.path(), a, key, what);
  };
  if (p.n_swa < 0 || p.n_swa > (int64_t(1) << 30)) bad("attention.sliding_window", "out of range");
  if (p.swa_pattern < 1 || p.swa_pattern > 1024) bad("attention.sliding_window_pattern", "expected 1..1024");
  if (!(p.freq_base_swa > 0.0f)) bad("rope.freq_base_swa", "expected > 0");
  if (!(p.final_softcap >= 0.0f) || !std::isfinite(p.final_softcap)) bad("final_logit_softcapping", "expected >= 0");
  if (!(p.attn_scale > 0.0f) || !std::isfinite(p.attn_scale)) bad("attention.scale", "expected > 0");
  return p;
}

class Gemma3 final : public Decoder {
 public:
  explicit Gemma3(const ArchContext& ctx);

 private:
  struct Layer {
    Vec attn_norm, post_attn_norm, ffn_norm, post_ffn_norm;  // [n_embd]
    AttnWeights attn;                                        // with q_norm, k_norm [head_dim]
    GluWeights ffn;
  };
  void layer(Backend& be, int il, const Residual& r) override;

  Gemma3Params p_;
  RopeConfig rope_global_, rope_local_;
  AttnConfig attn_global_, attn_local_;
  std::vector<Layer> layers_;
};

Gemma3::Gemma3(const ArchContext& ctx) : Decoder(ctx), p_(read_params(ctx.file, ctx.h)) {
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
    L.post_attn_norm = lb.vec("post_attention_norm.weight", e);
    L.ffn_norm = lb.vec("ffn_norm.weight", e);
    L.ffn = lb.glu(uint64_t(h_.n_ff));
    L.post_ffn_norm = lb.vec("post_ffw_norm.weight", e);
  }
  weight_type_ = b.weight_type();
  embed_scale_ = std::sqrt(float(h_.n_embd));
  final_softcap_ = p_.final_softcap;
  rope_global_ = h_.rope_params();
  rope_local_ = rope_global_;
  rope_local_.freq_base = p_.freq_base_swa;
  rope_local_.freq_scale = 1.0f;
  rope_local_.ext_factor = 0.0f;
  rope_local_.attn_factor = 1.0f;
  attn_global_ = attn_config();
  attn_global_.scale = p_.attn_scale;
  attn_local_ = attn_global_;
  attn_local_.window = p_.n_swa;
}

void Gemma3::layer(Backend& be, int il, const Residual& r) {
  const Layer& L = layers_[size_t(il)];
  const bool sliding = p_.sliding(il);
  const AttnOptions o{.rope = sliding ? &rope_local_ : &rope_global_,
                      .attn = sliding ? &attn_local_ : &attn_global_,
                      .qk_norm = QkNorm::before_rope};
  r.add(L.attn_norm, [&](Act xn, Act out) { attention(be, L.attn, il, o, xn, out); }, L.post_attn_norm);
  r.add(L.ffn_norm, [&](Act xn, Act out) { glu(be, L.ffn, h_.n_ff, Glu::gelu_tanh, xn, out); }, L.post_ffn_norm);
}

}  // namespace

std::unique_ptr<Architecture> make_gemma3(const ArchContext& ctx) { return std::make_unique<Gemma3>(ctx); }

std::vector<ArchFact> gemma3_facts(const gguf::File& f, const HParams& h) {
  const Gemma3Params p = read_params(f, h);
  const std::string& a = h.arch;
  std::vector<ArchFact> out;
  out.push_back({"head size", std::to_string(h.head_dim), a + ".attention.key_length"});
  if (p.n_swa > 0) {
    out.push_back({"sliding window",
                   fmt::format("{} positions on {} of every {} layers", p.n_swa, p.swa_pattern - 1, p.swa_pattern),
                   a + ".attention.sliding_window"});
    out.push_back({"local rope base", fmt::format("{:g} (sliding layers, no scaling)", p.freq_base_swa),
                   a + ".rope.freq_base_swa"});
  } else {
    out.push_back({"sliding window", "none (every layer global)", a + ".attention.sliding_window"});
  }
  out.push_back({"attention scale", fmt::format("{:.6g}", p.attn_scale), a + ".attention.scale"});
  out.push_back({"final logit softcap", p.final_softcap > 0.0f ? fmt::format("{:g}", p.final_softcap) : "none",
                 a + ".final_logit_softcapping"});
  out.push_back({"embedding scale", fmt::format("sqrt({}) = {:.6g}", h.n_embd, std::sqrt(float(h.n_embd))), ""});
  out.push_back({"norms", "RMSNorm before and after attention and FFN, per-head QK norm", ""});
  out.push_back({"FFN", "GeGLU (tanh gelu)", ""});
  return out;
}

}  // namespace ys::engine
