// Internal to onednn_gemm.cpp (and its test): f32 -> bf16 of the activations, with the bits
// of quant::f32_to_bf16 (round to nearest even, NaN stays NaN with the quiet bit set),
// 16 lanes at a time where the engine's AVX-512 variant is selected (matmul.h: YS_ISA).
#pragma once

#include <cstdint>

namespace ys::cpu {

void onednn_to_bf16(const float* x, uint16_t* out, int64_t n);

namespace detail {
void to_bf16_avx512(const float* x, uint16_t* out, int64_t n);  // onednn_convert_avx512.cpp
}  // namespace detail

}  // namespace ys::cpu
