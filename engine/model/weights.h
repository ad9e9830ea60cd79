// The weights of a Llama-family model, as views into the mapped GGUF file or into
// converted copies (re-quantization, non-f32 norm vectors). Every shape is checked at
// load against the hyperparameters; a mismatch names the tensor, expected vs found.
#pragma once

#include "engine/model/hparams.h"
#include "engine/quant/types.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ys::engine {

// One weight matrix in host memory: rows of quant::row_bytes(type, cols) bytes, row-major.
struct WeightMat {
  quant::Type type = quant::Type::f32;
  const void* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
};

struct LayerWeights {
  const float* attn_norm = nullptr;      // [n_embd]
  WeightMat wq{}, wk{}, wv{}, wo{};  // q: [n_head*hd rows, n_embd]; k,v: [n_kv*hd, n_embd]; o: [n_embd, n_head*hd]
  const float* bq = nullptr;             // [n_head*hd]  (qwen2)
  const float* bk = nullptr;             // [n_kv*hd]    (qwen2)
  const float* bv = nullptr;             // [n_kv*hd]    (qwen2)
  const float* ffn_norm = nullptr;       // [n_embd]
  WeightMat w_gate{}, w_up{};      // dense: [n_ff rows, n_embd]
  WeightMat w_down{};              // dense: [n_embd rows, n_ff]
  WeightMat router{};              // MoE: [n_expert rows, n_embd]
  std::vector<WeightMat> gate_exps, up_exps, down_exps;  // MoE, per expert, shapes as dense
};

struct Weights {
  WeightMat tok_embd{};            // [n_vocab rows, n_embd]
  const float* output_norm = nullptr;    // [n_embd]
  WeightMat output{};              // [n_vocab rows, n_embd]; tok_embd when tied
  const float* rope_freqs = nullptr;     // [n_rot/2] llama3 frequency factors, or null
  std::vector<LayerWeights> layers;
  std::string weight_type;  // the type holding most matrix elements, or the llama.cpp mix name (q4_k_m)
  std::vector<std::vector<uint8_t>> owned;  // storage of converted tensors
};

// Binds (and, with `requant`, converts) every tensor. Sets h.n_vocab. Throws ys::Error.
std::unique_ptr<Weights> load_weights(const gguf::File& f, HParams& h, std::optional<quant::Type> requant);

}  // namespace ys::engine
