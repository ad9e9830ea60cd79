// The Llama family (llama, Mistral, SmolLM2, Llama 3, qwen2 with QKV biases and NeoX rope,
// Mixtral-style sparse MoE): weights and the forward pass over Backend operations.
#pragma once

#include "engine/model/architecture.h"
#include "engine/model/weights.h"

#include <memory>
#include <vector>

namespace ys::engine {

class Llama final : public Architecture {
 public:
  explicit Llama(const ArchContext& ctx);

  void forward(Backend& be, const Step& s) override;
  KvLayout kv_layout() const override;
  std::string weight_type() const override { return host_->weight_type; }

 private:
  struct Layer {
    Vec attn_norm, ffn_norm;  // [n_embd]
    Mat wq, wk, wv, wo;       // q: [n_head*hd, n_embd]; k, v: [n_kv*hd, n_embd]; o: [n_embd, n_head*hd]
    Vec bq, bk, bv;           // qwen2 biases
    Mat gate, up, down;       // dense FFN: [n_ff, n_embd] x2, [n_embd, n_ff]
    MoeWeights moe;           // sparse MoE (n_expert > 0)
  };
  void attention_block(Backend& be, const Layer& L, int il, Act xn, Act out);
  void ffn_block(Backend& be, const Layer& L, Act xn, Act out);

  HParams h_;
  std::unique_ptr<Weights> host_;  // the mapped/converted host tensors the backend may point into
  Mat tok_embd_, output_;
  Vec output_norm_;
  RopeConfig rope_;
  AttnConfig attn_;
  MoeConfig moe_;
  std::vector<Layer> layers_;
};

std::unique_ptr<Architecture> make_llama(const ArchContext& ctx);

}  // namespace ys::engine
