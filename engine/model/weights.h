// Weight tensors bound by name from a GGUF file, as views into the mapped file or into
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
