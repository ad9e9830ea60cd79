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
#include "engine/model/arch_common.h"

namespace ys::engine {

namespace {

enum Slot : int { kX, kXn, kQ, kK, kV, kAtt, kTmp, kGate, kUp, kOut, kShared };

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

class Llama4 final : public Architecture {
 public:
  explicit Llama4(const ArchContext& ctx);
  void forward(Backend& be, const Step& s) override;
  KvLayout kv_layout() const override { return {h_.n_layer, int64_t(h_.n_kv_head) * h_.head_dim}; }
  std::string weight_type() const override { return weight_type_; }

 private:
  struct Layer {
    Vec attn_norm, ffn_norm;  // [n_embd]
    Mat wq, wk, wv, wo;       // q: [n_head*hd, n_embd]; k, v: [n_kv*hd, n_embd]; o: [n_embd, n_head*hd]
    Mat gate, up, down;       // dense layers: [n_ff, n_embd] x2, [n_embd, n_ff]
    MoeWeights moe;  // MoE layers: router [n_expert, n_embd]; experts [n_ff_exp, n_embd] x2, [n_embd, n_ff_exp]
    Mat gate_sh, up_sh, down_sh;  // MoE layers' shared expert: [n_ff_exp, n_embd] x2, [n_embd, n_ff_exp]
  };
  void attention_block(Backend& be, const Layer& L, int il, Act xn, Act out);
  void ffn_block(Backend& be, const Layer& L, int il, Act xn, Act out);
  // out = down(silu(gate xn) * up xn) with an FFN of n_ff rows
  void swiglu_ffn(Backend& be, const Mat& gate, const Mat& up, const Mat& down, int64_t n_ff, Act xn, Act out);

  HParams h_;
  Llama4Params p_;
  std::vector<std::vector<uint8_t>> owned_;
  std::string weight_type_;
  Mat tok_embd_, output_;
  Vec output_norm_, ones_;  // ones_: [head_dim] of 1 (the weightless QK norm)
  std::vector<float> ones_host_;
  RopeConfig rope_, rope_chunked_;
  AttnConfig attn_global_, attn_chunked_;
  MoeConfig moe_;
  std::vector<Layer> layers_;
};

Llama4::Llama4(const ArchContext& ctx) : h_(ctx.h), p_(read_params(ctx.file, ctx.h)) {
  Backend& be = ctx.be;
  WeightBinder b(ctx.file, owned_, ctx.requant);
  const gguf::TensorInfo* te = b.find("token_embd.weight");
  if (!te || te->dims.size() != 2 || te->dims[1] == 0 || te->dims[1] > (1u << 24))
    fail(ErrorKind::format, "{}: missing or implausible 2-D tensor 'token_embd.weight' [n_embd, n_vocab]",
         ctx.file.path());
  ctx.h.n_vocab = h_.n_vocab = int(te->dims[1]);
  const uint64_t e = uint64_t(h_.n_embd), nv = uint64_t(h_.n_vocab), hd = uint64_t(h_.head_dim);
  const uint64_t qd = uint64_t(h_.n_head) * hd, kvd = uint64_t(h_.n_kv_head) * hd;
  tok_embd_ = upload_mat(be, b.mat("token_embd.weight", e, nv), "token_embd.weight");
  output_ = b.find("output.weight") ? upload_mat(be, b.mat("output.weight", e, nv), "output.weight") : tok_embd_;
  output_norm_ = be.upload(b.vec("output_norm.weight", e), int64_t(e));
  rope_ = h_.rope_params();
  if (b.find("rope_freqs.weight"))
    rope_.freq_factors = be.upload(b.vec("rope_freqs.weight", uint64_t(h_.n_rot / 2)), h_.n_rot / 2);
  layers_.resize(size_t(h_.n_layer));
  for (int il = 0; il < h_.n_layer; ++il) {
    Layer& L = layers_[size_t(il)];
    auto mat = [&](const char* t, uint64_t cols, uint64_t rows) {
      return upload_mat(be, b.mat(blk(il, t), cols, rows), blk(il, t));
    };
    auto mats = [&](const char* t, uint64_t cols, uint64_t rows) {
      return upload_mats(be, b.mats(blk(il, t), cols, rows, uint64_t(h_.n_expert)), blk(il, t));
    };
    L.attn_norm = be.upload(b.vec(blk(il, "attn_norm.weight"), e), int64_t(e));
    L.wq = mat("attn_q.weight", e, qd);
    L.wk = mat("attn_k.weight", e, kvd);
    L.wv = mat("attn_v.weight", e, kvd);
    L.wo = mat("attn_output.weight", qd, e);
    L.ffn_norm = be.upload(b.vec(blk(il, "ffn_norm.weight"), e), int64_t(e));
    if (!p_.moe(il)) {
      const uint64_t ff = uint64_t(h_.n_ff);
      L.gate = mat("ffn_gate.weight", e, ff);
      L.up = mat("ffn_up.weight", e, ff);
      L.down = mat("ffn_down.weight", ff, e);
      continue;
    }
    const uint64_t ff = uint64_t(h_.n_ff_exp);
    L.moe.router = mat("ffn_gate_inp.weight", e, uint64_t(h_.n_expert));
    L.moe.gate = mats("ffn_gate_exps.weight", e, ff);
    L.moe.up = mats("ffn_up_exps.weight", e, ff);
    L.moe.down = mats("ffn_down_exps.weight", ff, e);
    L.gate_sh = mat("ffn_gate_shexp.weight", e, ff);
    L.up_sh = mat("ffn_up_shexp.weight", e, ff);
    L.down_sh = mat("ffn_down_shexp.weight", ff, e);
  }
  weight_type_ = b.weight_type();
  ones_host_.assign(hd, 1.0f);
  ones_ = be.upload(ones_host_.data(), int64_t(hd));
  rope_chunked_ = rope_;
  rope_chunked_.freq_base = p_.freq_base_swa;
  attn_global_.n_head = h_.n_head;
  attn_global_.n_kv_head = h_.n_kv_head;
  attn_global_.head_dim = h_.head_dim;
  attn_chunked_ = attn_global_;
  attn_chunked_.chunk = p_.chunk;
  moe_.n_expert = h_.n_expert;
  moe_.k = h_.n_expert_used;
  moe_.gating = MoeGating::sigmoid;
  moe_.weight_before = true;
}

void Llama4::forward(Backend& be, const Step& s) {
  const int64_t n = s.n_rows, e = h_.n_embd;
  const Act x = be.buffer(kX, n, e), xn = be.buffer(kXn, n, e), tmp = be.buffer(kTmp, n, e);
  be.embed(tok_embd_, x);
  for (int il = 0; il < h_.n_layer; ++il) {
    const Layer& L = layers_[size_t(il)];
    be.rmsnorm(x, L.attn_norm, h_.rms_eps, xn);
    attention_block(be, L, il, xn, tmp);
    be.add(x, tmp);
    be.rmsnorm(x, L.ffn_norm, h_.rms_eps, xn);
    ffn_block(be, L, il, xn, tmp);
    be.add(x, tmp);
  }
  if (s.n_out == 0) return;
  const Act xo = be.buffer(kOut, s.n_out, e);
  be.gather_out_rows(x, xo);
  be.rmsnorm(xo, output_norm_, h_.rms_eps, xo);
  be.matmul(output_, xo, be.logits(h_.n_vocab));
}

void Llama4::attention_block(Backend& be, const Layer& L, int il, Act xn, Act out) {
  const int64_t n = xn.rows, hd = h_.head_dim, qd = h_.n_head * hd, kvd = h_.n_kv_head * hd;
  const Act q = be.buffer(kQ, n, qd), k = be.buffer(kK, n, kvd), v = be.buffer(kV, n, kvd);
  const Act att = be.buffer(kAtt, n, qd);
  const Backend::MatOut qkv[] = {{&L.wq, q}, {&L.wk, k}, {&L.wv, v}};
  be.matmul(qkv, 3, xn);
  if (p_.rope(il)) {
    const RopeConfig& rope = p_.chunked(il) ? rope_chunked_ : rope_;
    be.rope(q, h_.n_head, h_.head_dim, rope);
    be.rope(k, h_.n_kv_head, h_.head_dim, rope);
    if (p_.kq_norm) {
      be.rmsnorm(heads(q, hd), ones_, h_.rms_eps, heads(q, hd));
      be.rmsnorm(heads(k, hd), ones_, h_.rms_eps, heads(k, hd));
    }
  } else if (p_.temperature) {
    be.scale_by_position(q, p_.temp);
  }
  be.attention(il, q, k, v, att, p_.chunked(il) ? attn_chunked_ : attn_global_);
  be.matmul(L.wo, att, out);
}

void Llama4::swiglu_ffn(Backend& be, const Mat& gate, const Mat& up, const Mat& down, int64_t n_ff, Act xn, Act out) {
  const int64_t n = xn.rows;
  const Act g = be.buffer(kGate, n, n_ff), u = be.buffer(kUp, n, n_ff);
  const Backend::MatOut gate_up[] = {{&gate, g}, {&up, u}};
  be.matmul(gate_up, 2, xn);
  be.swiglu(g, u, g);
  be.matmul(down, g, out);
}

void Llama4::ffn_block(Backend& be, const Layer& L, int il, Act xn, Act out) {
  if (!p_.moe(il)) return swiglu_ffn(be, L.gate, L.up, L.down, h_.n_ff, xn, out);
  be.moe(L.moe, moe_, xn, out);
  const Act shared = be.buffer(kShared, xn.rows, xn.cols);
  swiglu_ffn(be, L.gate_sh, L.up_sh, L.down_sh, h_.n_ff_exp, xn, shared);
  be.add(out, shared);
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
