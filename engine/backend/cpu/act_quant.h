// Per-token quantization of f32 activations for the integer dot products of matmul.
// Each token is quantized on its own, so a token's blocks never depend on the batch.
#pragma once

#include "engine/quant/blocks.h"

#include <cstdint>

namespace ys::cpu {

// Eight consecutive 32-element activation blocks (block i of the group: elements
// 32*i..32*i+31): x ~= d[i] * qs[i][j], qs in -127..127, sum[i] = sum_j qs[i][j].
// Group-major so SIMD kernels load the 8 scales and sums as vectors. A row of n
// elements takes ceil(n / 256) groups; blocks past the row end are zero (d = 0, qs = 0).
struct ActQ8x8 {
  float d[8];
  int32_t sum[8];
  int8_t qs[8][32];
};
static_assert(sizeof(ActQ8x8) == 320, "ActQ8x8 must be 320 bytes");

inline int64_t act_q8_groups(int64_t n) { return (n / 32 + 7) / 8; }

// n a multiple of 32 / 256. Scale d = max|x| / 127, q = round-to-nearest-even(x / d).
void quantize_act_q8(const float* x, ActQ8x8* out, int64_t n);
void quantize_act_q8k(const float* x, quant::block_q8_k* out, int64_t n);

}  // namespace ys::cpu
