// Re-quantization of weight matrices (dequantize each row -> quantize_row to the target).
// Shared by load-time conversion (LoadOptions.quant) and `yardstick quantize`.
#pragma once

#include "engine/gguf/gguf.h"
#include "engine/quant/types.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ys::engine {

// Targets accepted by LoadOptions.quant / `quantize --type`: f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1.
// Throws ys::Error(invalid_input) naming `flag` for anything else.
quant::Type parse_requant_type(const std::string& name, const std::string& flag);

// True for the tensors that are converted: weights with two or more dimensions
// (matrices and stacked expert matrices). Norms, biases and rope factors stay as they are.
bool is_requantizable(const gguf::TensorInfo& t);

// Converts `rows` rows of `cols` elements from `from` to `to`. Throws ys::Error naming
// `tensor` when cols is not a multiple of the target block size.
std::vector<uint8_t> convert_rows(const std::string& tensor, quant::Type from, const void* src, int64_t rows,
                                  int64_t cols, quant::Type to);

}  // namespace ys::engine
