// Llama 4 over the Backend operations (llama4.h). For rows x, per layer il:
//   rope layer iff no NoPE step is set or (il + 1) % nope_step != 0; chunked iff chunking is
//   on and il % pattern < pattern - 1 (the same layers with the default step and pattern 4)
//   xn = rmsnorm(x, attn_norm); q, k, v = xn Wq^T, xn Wk^T, xn Wv^T
//   rope layers:  q, k = rope(q, k) (pairs (2i, 2i+1), rope_freqs factors); then with QK
//                 norm q_h, k_h = q_h / rms(q_h), k_h / rms(k_h) (eps rms_eps, no weights)
//   NoPE layers:  q[t] *= 1 + 0.1 * log(floor((pos[t] + 1) / 8192) + 1) (temperature tuning)
//   x += attention(q, k, v; chunk on chunked layers) Wo^T
//   xn = rmsnorm(x, ffn_norm)
//   dense layers ((il + 1) % moe_step != 0): x += down(silu(gate xn) * up xn)
//   MoE layers: x += sum over the top-k experts e (by router logit) of
//               down_e(silu(gate_e xn') * up_e xn') with xn' = sigmoid(logit_e) * xn,
//               plus the shared expert down_s(silu(gate_s xn) * up_s xn)
// logits = rmsnorm(x, output_norm) W_out^T.
// Keys (besides the llama set): expert_feed_forward_length and interleave_moe_layer_step
// (both required, as llama.cpp has them), attention.sliding_window (absent: chunks of 8192;
// > 0: chunks of that size; 0: no chunking, no temperature tuning, and, as llama.cpp sets its
// NoPE step to n_layer then, rope on every layer but the last),
// attention.sliding_window_pattern (default 4), rope.freq_base_swa (default rope.freq_base).
// QK norm follows llama.cpp's rule: on, except for the 128-expert model (Maverick). The
// temperature constants (floor 8192, scale 0.1, offset 1) are llama.cpp's fixed values. Note:
// llama.cpp uses chunks of 8192 whatever a non-zero sliding_window says.
#include "engine/model/llama4.h"

#include "common/error.h"
#include "engine/model/decoder.h"

#include <fmt/format.h>

namespace ys::engine {

namespace {

struct Llama4Params {
  int moe_step = 1;      // interleave_moe_layer_step: layer il is MoE iff (il + 1) % step == 0
  int64_t chunk = 8192;  // 0: no chunked attention
  int pattern = 4;       // chunked iff il % pattern < pattern - 1
  int nope_step = 4;     // rope iff (il + 1) % nope_step != 0 (n_layer without chunking)
  bool kq_norm = true;
  bool temperature = true;  // NoPE layers' attention temperature tuning
  float freq_base_swa = 0.0f;
  PosScale temp;  // floor 8192, scale 0.1, offset 1
  bool moe(int il) const { return moe_step > 0 && (il + 1) % moe_step == 0; }
  bool rope(int il) const { return nope_step == 0 || (il + 1) % nope_step != 0; }
  bool chunked(int il) const { return chunk > 0 && il % pattern < pattern - 1; }
};

Llama4Params read_params(const gguf::File& f, const HParams& h) {
  const std::string& a = h.arch;
  Llama4Params p;
  auto need = [&](const std::string& key) {
    if (!f.find(a + "." + key)) fail(ErrorKind::format, "{}: missing metadata key '{}.{}'", f.path(), a, key);
  };
  need("expert_feed_forward_length");
  need("interleave_moe_layer_step");
  p.moe_step = int(f.get_uint(a + ".interleave_moe_layer_step", 1));
  if (p.moe_step < 1 || p.moe_step > 1024)
    fail(ErrorKind::format, "{}: metadata '{}.interleave_moe_layer_step' = {}: expected 1..1024", f.path(), a,
         p.moe_step);
  if (h.n_expert < 1)
    fail(ErrorKind::format, "{}: llama4 needs '{}.expert_count' >= 1 (llama.cpp refuses zero experts)", f.path(), a);
  const gguf::Value* sw = f.find(a + ".attention.sliding_window");
  const uint64_t swv = sw ? sw->as_uint(f.path() + ": metadata '" + a + ".attention.sliding_window'") : 8192;
  if (swv > (uint64_t(1) << 30))
    fail(ErrorKind::format, "{}: metadata '{}.attention.sliding_window' = {} is out of range", f.path(), a, swv);
  if (swv == 0) {
    p.chunk = 0, p.nope_step = h.n_layer, p.temperature = false;  // llama.cpp: n_no_rope_layer_step = n_layer
  } else {
    p.chunk = int64_t(swv);
    p.pattern = int(f.get_uint(a + ".attention.sliding_window_pattern", 4));
    if (p.pattern < 1 || p.pattern > 1024)
      fail(ErrorKind::format, "{}: metadata '{}.attention.sliding_window_pattern' = {}: expected 1..1024", f.path(), a,
           p.pattern);
  }
  p.freq_base_swa = float(f.get_float(a + ".rope.freq_base_swa", h.rope_freq_base));
  if (!(p.freq_base_swa > 0.0f))
    fail(ErrorKind::format, "{}: metadata '{}.rope.freq_base_swa' must be > 0", f.path(), a);
  p.kq_norm = h.n_expert != 128;
  return p;
}

class Llama4 final : public Decoder {
 public:
  explicit Llama4(const ArchContext& ctx);

 private:
  struct Layer {
    Vec attn_norm, ffn_norm;  // [n_embd]
    AttnWeights attn;         // q_norm, k_norm: the weightless QK norm (ones_)
    GluWeights ffn;           // dense layers
    MoeWeights moe;           // MoE layers: router [n_expert, n_embd]; experts of n_ff_exp rows
    GluWeights shared;        // MoE layers' shared expert of n_ff_exp rows
  };
  void layer(Backend& be, int il, const Residual& r) override;

  Llama4Params p_;
  Vec ones_;  // [head_dim] of 1 (the weightless QK norm)
  std::vector<float> ones_host_;
  RopeConfig rope_, rope_chunked_;
  AttnConfig attn_global_, attn_chunked_;
  MoeConfig moe_;
  std::vector<Layer> layers_;
};

Llama4::Llama4(const ArchContext& ctx) : Decoder(ctx), p_(read_params(ctx.file, ctx.h)) {
  Backend& be = ctx.be;
  WeightBinder b = binder(ctx.file);
  bind_embeddings(ctx, b);
  rope_ = h_.rope_params();
  if (b.find("rope_freqs.weight"))
    rope_.freq_factors = be.upload(b.vec("rope_freqs.weight", uint64_t(h_.n_rot / 2)), h_.n_rot / 2);
  ones_host_.assign(size_t(h_.head_dim), 1.0f);
  ones_ = be.upload(ones_host_.data(), int64_t(h_.head_dim));
  const uint64_t e = uint64_t(h_.n_embd);
  layers_.resize(size_t(h_.n_layer));
  for (int il = 0; il < h_.n_layer; ++il) {
    Layer& L = layers_[size_t(il)];
    LayerBinder lb(be, b, h_, il);
    L.attn_norm = lb.vec("attn_norm.weight", e);
    L.attn = lb.attention(false, false);
    L.attn.q_norm = L.attn.k_norm = ones_;
    L.ffn_norm = lb.vec("ffn_norm.weight", e);
    if (!p_.moe(il)) {
      L.ffn = lb.glu(uint64_t(h_.n_ff));
      continue;
    }
    L.moe = lb.moe(uint64_t(h_.n_ff_exp), uint64_t(h_.n_expert));
    L.shared = lb.glu(uint64_t(h_.n_ff_exp), "_shexp");
  }
  weight_type_ = b.weight_type();
  rope_chunked_ = rope_;
  rope_chunked_.freq_base = p_.freq_base_swa;
  attn_global_ = attn_config();
  attn_chunked_ = attn_global_;
  attn_chunked_.chunk = p_.chunk;
  moe_.n_expert = h_.n_expert;
  moe_.k = h_.n_expert_used;
  moe_.gating = MoeGating::sigmoid;
  moe_.weight_before = true;
}

void Llama4::layer(Backend& be, int il, const Residual& r) {
  const Layer& L = layers_[size_t(il)];
  const bool chunked = p_.chunked(il), rope = p_.rope(il);
  AttnOptions o{.attn = chunked ? &attn_chunked_ : &attn_global_};
  if (rope) {
    o.rope = chunked ? &rope_chunked_ : &rope_;
    if (p_.kq_norm) o.qk_norm = QkNorm::after_rope;
  } else if (p_.temperature) {
    o.temperature = &p_.temp;
  }
  r.add(L.attn_norm, [&](Act xn, Act out) { attention(be, L.attn, il, o, xn, out); });
  r.add(L.ffn_norm, [&](Act xn, Act out) {
    if (!p_.moe(il)) return glu(be, L.ffn, h_.n_ff, Glu::silu, xn, out);
    be.moe(L.moe, moe_, xn, out);
    const Act shared = be.buffer(kShared, xn.rows, xn.cols);
    glu(be, L.shared, h_.n_ff_exp, Glu::silu, xn, shared);
    be.add(out, shared);
  });
}

}  // namespace

std::unique_ptr<Architecture> make_llama4(const ArchContext& ctx) { return std::make_unique<Llama4>(ctx); }

std::vector<ArchFact> llama4_facts(const gguf::File& f, const HParams& h) {
  const Llama4Params p = read_params(f, h);
  const std::string& a = h.arch;
  std::vector<ArchFact> out;
  out.push_back({"MoE layers",
                 fmt::format("every {} layer(s) ({} of {}), the others dense (FFN {})", p.moe_step,
                             h.n_layer / p.moe_step, h.n_layer, h.n_ff),
                 a + ".interleave_moe_layer_step"});
  out.push_back({"experts",
                 fmt::format("{} routed ({} used per token, sigmoid gate applied to the input) + 1 shared", h.n_expert,
                             h.n_expert_used),
                 a + ".expert_count"});
  out.push_back({"expert FFN", std::to_string(h.n_ff_exp), a + ".expert_feed_forward_length"});
  if (p.chunk > 0) {
    out.push_back({"chunked attention",
                   fmt::format("chunks of {} positions on {} of every {} layers", p.chunk, p.pattern - 1, p.pattern),
                   a + ".attention.sliding_window"});
    out.push_back({"NoPE layers", fmt::format("every {}th layer: no rope, global attention", p.nope_step), ""});
    out.push_back({"temperature tuning",
                   fmt::format("NoPE queries x (1 + {:g} log(floor((pos + {:g}) / {:g}) + 1))", p.temp.scale,
                               p.temp.offset, p.temp.floor_scale),
                   ""});
  } else {
    out.push_back(
        {"chunked attention", "none (global attention everywhere; rope on every layer but the last)", a + ".attention.sliding_window"});
  }
  out.push_back(
      {"QK norm", p.kq_norm ? "RMS norm without weights after rope (rope layers)" : "none (128 experts)", ""});
  return out;
}

}  // namespace ys::engine
