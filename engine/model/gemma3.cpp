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
#include "engine/model/arch_common.h"

#include <cmath>

namespace ys::engine {

namespace {

enum Slot : int { kX, kXn, kQ, kK, kV, kAtt, kTmp, kGate, kUp, kOut };

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

class Gemma3 final : public Architecture {
 public:
  explicit Gemma3(const ArchContext& ctx);
  void forward(Backend& be, const Step& s) override;
  KvLayout kv_layout() const override { return {h_.n_layer, int64_t(h_.n_kv_head) * h_.head_dim}; }
  std::string weight_type() const override { return weight_type_; }

 private:
  struct Layer {
    Vec attn_norm, post_attn_norm, ffn_norm, post_ffn_norm;  // [n_embd]
    Vec q_norm, k_norm;                                      // [head_dim]
    Mat wq, wk, wv, wo;  // q: [n_head*hd, n_embd]; k, v: [n_kv*hd, n_embd]; o: [n_embd, n_head*hd]
    Mat gate, up, down;  // [n_ff, n_embd] x2, [n_embd, n_ff]
  };
  void attention_block(Backend& be, const Layer& L, int il, Act xn, Act out);
  void ffn_block(Backend& be, const Layer& L, Act xn, Act out);

  HParams h_;
  Gemma3Params p_;
  std::vector<std::vector<uint8_t>> owned_;
  std::string weight_type_;
  Mat tok_embd_, output_;
  Vec output_norm_;
  RopeConfig rope_global_, rope_local_;
  AttnConfig attn_global_, attn_local_;
  std::vector<Layer> layers_;
};

Gemma3::Gemma3(const ArchContext& ctx) : h_(ctx.h), p_(read_params(ctx.file, ctx.h)) {
  Backend& be = ctx.be;
  WeightBinder b(ctx.file, owned_, ctx.requant);
  const gguf::TensorInfo* te = b.find("token_embd.weight");
  if (!te || te->dims.size() != 2 || te->dims[1] == 0 || te->dims[1] > (1u << 24))
    fail(ErrorKind::format, "{}: missing or implausible 2-D tensor 'token_embd.weight' [n_embd, n_vocab]",
         ctx.file.path());
  ctx.h.n_vocab = h_.n_vocab = int(te->dims[1]);
  const uint64_t e = uint64_t(h_.n_embd), nv = uint64_t(h_.n_vocab), hd = uint64_t(h_.head_dim);
  const uint64_t qd = uint64_t(h_.n_head) * hd, kvd = uint64_t(h_.n_kv_head) * hd, ff = uint64_t(h_.n_ff);
  tok_embd_ = upload_mat(be, b.mat("token_embd.weight", e, nv), "token_embd.weight");
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
    L.post_attn_norm = vec("post_attention_norm.weight", e);
    L.ffn_norm = vec("ffn_norm.weight", e);
    L.gate = mat("ffn_gate.weight", e, ff);
    L.up = mat("ffn_up.weight", e, ff);
    L.down = mat("ffn_down.weight", ff, e);
    L.post_ffn_norm = vec("post_ffw_norm.weight", e);
  }
  weight_type_ = b.weight_type();
  rope_global_ = h_.rope_params();
  rope_local_ = rope_global_;
  rope_local_.freq_base = p_.freq_base_swa;
  rope_local_.freq_scale = 1.0f;
  rope_local_.ext_factor = 0.0f;
  rope_local_.attn_factor = 1.0f;
  attn_global_.n_head = h_.n_head;
  attn_global_.n_kv_head = h_.n_kv_head;
  attn_global_.head_dim = h_.head_dim;
  attn_global_.scale = p_.attn_scale;
  attn_local_ = attn_global_;
  attn_local_.window = p_.n_swa;
}

void Gemma3::forward(Backend& be, const Step& s) {
  const int64_t n = s.n_rows, e = h_.n_embd;
  const Act x = be.buffer(kX, n, e), xn = be.buffer(kXn, n, e), tmp = be.buffer(kTmp, n, e);
  be.embed(tok_embd_, x);
  be.scale(x, std::sqrt(float(e)));
  for (int il = 0; il < h_.n_layer; ++il) {
    const Layer& L = layers_[size_t(il)];
    be.rmsnorm(x, L.attn_norm, h_.rms_eps, xn);
    attention_block(be, L, il, xn, tmp);
    be.rmsnorm(tmp, L.post_attn_norm, h_.rms_eps, tmp);
    be.add(x, tmp);
    be.rmsnorm(x, L.ffn_norm, h_.rms_eps, xn);
    ffn_block(be, L, xn, tmp);
    be.rmsnorm(tmp, L.post_ffn_norm, h_.rms_eps, tmp);
    be.add(x, tmp);
  }
  if (s.n_out == 0) return;
  const Act xo = be.buffer(kOut, s.n_out, e);
  be.gather_out_rows(x, xo);
  be.rmsnorm(xo, output_norm_, h_.rms_eps, xo);
  const Act logits = be.logits(h_.n_vocab);
  be.matmul(output_, xo, logits);
  if (p_.final_softcap > 0.0f) be.softcap(logits, p_.final_softcap);
}

void Gemma3::attention_block(Backend& be, const Layer& L, int il, Act xn, Act out) {
  const int64_t n = xn.rows, hd = h_.head_dim, qd = h_.n_head * hd, kvd = h_.n_kv_head * hd;
  const Act q = be.buffer(kQ, n, qd), k = be.buffer(kK, n, kvd), v = be.buffer(kV, n, kvd);
  const Act att = be.buffer(kAtt, n, qd);
  const Backend::MatOut qkv[] = {{&L.wq, q}, {&L.wk, k}, {&L.wv, v}};
  be.matmul(qkv, 3, xn);
  be.rmsnorm(heads(q, hd), L.q_norm, h_.rms_eps, heads(q, hd));
  be.rmsnorm(heads(k, hd), L.k_norm, h_.rms_eps, heads(k, hd));
  const bool sliding = p_.sliding(il);
  const RopeConfig& rope = sliding ? rope_local_ : rope_global_;
  be.rope(q, h_.n_head, h_.head_dim, rope);
  be.rope(k, h_.n_kv_head, h_.head_dim, rope);
  be.attention(il, q, k, v, att, sliding ? attn_local_ : attn_global_);
  be.matmul(L.wo, att, out);
}

void Gemma3::ffn_block(Backend& be, const Layer& L, Act xn, Act out) {
  const int64_t n = xn.rows;
  const Act gate = be.buffer(kGate, n, h_.n_ff), up = be.buffer(kUp, n, h_.n_ff);
  const Backend::MatOut gate_up[] = {{&L.gate, gate}, {&L.up, up}};
  be.matmul(gate_up, 2, xn);
  be.geglu(gate, up, gate);
  be.matmul(L.down, gate, out);
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
