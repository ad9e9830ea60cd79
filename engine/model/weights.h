// The weights of a Llama-family model, as views into the mapped GGUF file or into
// converted copies (re-quantization, non-f32 norm vectors). Every shape is checked at
// load against the hyperparameters; a mismatch names the tensor, expected vs found.
#pragma once

#include "engine/gguf/gguf.h"
#include "engine/model/hparams.h"
#include "engine/quant/types.h"

#include <cstdint>
#include <map>
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

// Binds tensors of a GGUF file by name with their expected shapes (what every architecture's
// loader uses): views into the mapped file, or converted copies kept in `owned` (vectors stored
// otherwise than f32; matrices re-quantized to `requant`). A missing tensor or a shape
// mismatch is ys::Error(format) naming the tensor, expected vs found.
class WeightBinder {
 public:
  WeightBinder(const gguf::File& f, std::vector<std::vector<uint8_t>>& owned, std::optional<quant::Type> requant)
      : f_(f), owned_(owned), rq_(requant) {}

  const gguf::TensorInfo* find(const std::string& name) const;
  const gguf::TensorInfo& expect(const std::string& name, const std::vector<uint64_t>& dims) const;
  // A vector of n floats.
  const float* vec(const std::string& name, uint64_t n);
  // A matrix [rows, cols] (GGUF dims [cols, rows]), or n_mat stacked ones (dims [cols, rows, n_mat]).
  std::vector<WeightMat> mats(const std::string& name, uint64_t cols, uint64_t rows, uint64_t n_mat = 0);
  WeightMat mat(const std::string& name, uint64_t cols, uint64_t rows) { return mats(name, cols, rows)[0]; }
  // The type holding most matrix elements bound so far, or the llama.cpp mix name of the
  // file's general.file_type (q4_k_m) when the weights were not re-quantized.
  std::string weight_type() const;

 private:
  const gguf::File& f_;
  std::vector<std::vector<uint8_t>>& owned_;
  std::optional<quant::Type> rq_;
  std::map<std::string, uint64_t> elements_;
};

}  // namespace ys::engine
