// K-quant (256-element super-block) row conversions; used through quant.h.
#pragma once

#include "engine/quant/blocks.h"

#include <cstdint>

namespace ys::quant {

void dequantize_q4_k(const block_q4_k* b, float* y, int64_t nb);
void dequantize_q5_k(const block_q5_k* b, float* y, int64_t nb);
void dequantize_q6_k(const block_q6_k* b, float* y, int64_t nb);
// Simple min/max fits: valid blocks, error within one quantization step of each
// sub-block (plus the 6-bit / 8-bit rounding of the sub-block scales).
void quantize_q4_k(const float* x, block_q4_k* b, int64_t nb);
void quantize_q5_k(const float* x, block_q5_k* b, int64_t nb);
void quantize_q6_k(const float* x, block_q6_k* b, int64_t nb);

}  // namespace ys::quant
