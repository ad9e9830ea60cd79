// Row conversions between f32 and every supported storage type.
#pragma once

#include "engine/quant/types.h"

#include <cstdint>

namespace ys::quant {

// Decodes n elements (n a multiple of the type's block size; checked, ys::Error otherwise).
// Supported: f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k.
void dequantize_row(Type t, const void* src, float* dst, int64_t n);
// Encodes n elements; dst holds row_bytes(t, n) bytes. Supported when can_quantize(t):
// f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k (the K-quants with a simple
// min/max fit, valid but not llama.cpp's importance-weighted search).
void quantize_row(Type t, const float* src, void* dst, int64_t n);
bool can_quantize(Type t);
bool can_dequantize(Type t);

}  // namespace ys::quant
