// The decoder-only transformer every architecture in engine/model is written as: token
// embeddings, layers that add blocks to the residual rows x, and the output head. The blocks
// (attention, GLU feed-forward; sparse MoE is one Backend operation) and the tensor binders
// (dense, MoE) live here once; an architecture's file says which blocks a layer adds and with
// which options (QK norm before or after rope, biases, rope and attention mask per layer,
// post-norms, a shared expert).
//
//   x = embed(tokens) [* embed_scale]
//   per layer: Decoder::layer adds blocks, each x += [post_norm](block(rmsnorm(x, norm)))
//   logits = rmsnorm(x[out rows], output_norm) W_out^T [then cap * tanh(logits / cap)]
#pragma once

#include "engine/model/architecture.h"
#include "engine/model/backend.h"
#include "engine/model/weights.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ys::engine {

// Scratch buffers of one step (Backend::buffer slots), the same for every architecture.
enum Slot : int { kX, kXn, kQ, kK, kV, kAtt, kTmp, kGate, kUp, kOut, kShared };

struct AttnWeights {
  Mat wq, wk, wv, wo;  // q: [n_head*hd, n_embd]; k, v: [n_kv*hd, n_embd]; o: [n_embd, n_head*hd]
  Vec bq, bk, bv;      // QKV biases (qwen2), or none
  Vec q_norm, k_norm;  // [head_dim] per-head QK norm weights, or none
};
struct GluWeights {
  Mat gate, up, down;  // [n_ff, n_embd] x2, [n_embd, n_ff]
};

enum class QkNorm : uint8_t { none, before_rope, after_rope };  // per-head RMSNorm with q_norm / k_norm
enum class Glu : uint8_t { silu, gelu_tanh };                    // SwiGLU / GeGLU

// What varies between attention blocks (per architecture and per layer).
struct AttnOptions {
  const RopeConfig* rope = nullptr;  // none: no rope (a NoPE layer)
  const AttnConfig* attn = nullptr;
  QkNorm qk_norm = QkNorm::none;
  const PosScale* temperature = nullptr;  // queries scaled by position (after rope, if any)
};

// The rows of one step and their scratch, handed to each layer.
struct Residual {
  Backend& be;
  Act x, xn, tmp;
  float eps;
  // x += post(block(rmsnorm(x, norm))), post an optional RMSNorm of the block's output;
  // block(xn, out) writes its output rows into out.
  template <class Block>
  void add(const Vec& norm, Block&& block, const Vec& post = {}) const {
    be.rmsnorm(x, norm, eps, xn);
    block(xn, tmp);
    if (post) be.rmsnorm(tmp, post, eps, tmp);
    be.add(x, tmp);
  }
};

// Binds tensors "blk.<il>.<name>" of one layer into the backend.
class LayerBinder {
 public:
  LayerBinder(Backend& be, WeightBinder& b, const HParams& h, int il) : be_(be), b_(b), h_(h), il_(il) {}
  Vec vec(const char* tensor, uint64_t n);
  Mat mat(const char* tensor, uint64_t cols, uint64_t rows);
  Mat mats(const char* tensor, uint64_t cols, uint64_t rows, uint64_t n_mat);  // stacked experts
  // attn_q, attn_k, attn_v, attn_output (+ attn_{q,k,v}.bias, + attn_{q,k}_norm [head_dim]).
  AttnWeights attention(bool qkv_bias, bool qk_norm);
  // ffn_gate<suffix>, ffn_up<suffix>, ffn_down<suffix> with an FFN of n_ff rows.
  GluWeights glu(uint64_t n_ff, const std::string& suffix = "");
  // ffn_gate_inp (router) and ffn_{gate,up,down}_exps with experts of n_ff rows.
  MoeWeights moe(uint64_t n_ff, uint64_t n_expert);

 private:
  std::string name(const char* tensor) const;
  Backend& be_;
  WeightBinder& b_;
  const HParams& h_;
  int il_;
};

class Decoder : public Architecture {
 public:
  void forward(Backend& be, const Step& s) final;
  KvLayout kv_layout() const final { return {h_.n_layer, int64_t(h_.n_kv_head) * h_.head_dim}; }
  std::string weight_type() const final { return weight_type_; }

 protected:
  explicit Decoder(const ArchContext& ctx) : h_(ctx.h), requant_(ctx.requant) {}
  // The binder of this architecture's tensors (converted copies kept in owned_).
  WeightBinder binder(const gguf::File& f) { return WeightBinder(f, owned_, requant_); }
  // token_embd (sets n_vocab here and in ctx.h), output (token_embd when absent: tied) and
  // output_norm.
  void bind_embeddings(const ArchContext& ctx, WeightBinder& b);
  // Heads and head size of h_ (the other options at their defaults: causal, 1/sqrt(head_dim)).
  AttnConfig attn_config() const {
    AttnConfig c;
    c.n_head = h_.n_head, c.n_kv_head = h_.n_kv_head, c.head_dim = h_.head_dim;
    return c;
  }
  // Layer il of the step: adds its blocks to r.
  virtual void layer(Backend& be, int il, const Residual& r) = 0;

  // out = attention(q, k, v) Wo^T with q, k, v = xn W^T (+ biases), QK norm, rope as o says.
  void attention(Backend& be, const AttnWeights& w, int il, const AttnOptions& o, Act xn, Act out) const;
  // out = down(act(gate xn) * up xn), an FFN of n_ff rows.
  void glu(Backend& be, const GluWeights& w, int64_t n_ff, Glu act, Act xn, Act out) const;

  HParams h_;
  std::string weight_type_;  // set by the constructor after binding: WeightBinder::weight_type()
  float embed_scale_ = 0.0f;  // > 0: embeddings multiplied by it (Gemma: sqrt(n_embd))
  float final_softcap_ = 0.0f;  // > 0: logits = cap * tanh(logits / cap)

 private:
  std::optional<quant::Type> requant_;
  std::vector<std::vector<uint8_t>> owned_;  // converted host tensors the backend may point into
  Mat tok_embd_, output_;
  Vec output_norm_;
};

}  // namespace ys::engine
