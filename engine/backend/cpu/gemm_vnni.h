// Internal: an AVX-512 VNNI GEMM for q4_0 / q4_1 / q5_0 / q5_1 / q8_0 weights over tiles of
// 16 tokens, used by matmul for n_tok >= 16 on CPUs with AVX-512 VNNI.
//
// Same bits as the canonical routine of kernels.h: the per-block integer sums are exact
// whatever instruction computes them, and the float steps are the same fused
// multiply-adds per (row, token, lane b % 8) in block order, then reduce8. Only the
// layout differs: the 16 tokens of a tile sit in the 16 lanes of a zmm register.
//  * activations are repacked per tile: for block b, 8 x 64 bytes where lane t holds the
//    4 bytes xq[t][b*32+4j .. +3] + 128 (unsigned for vpdpbusd), plus dx and float(xsum);
//  * weights are unpacked per row to signed bytes w (q - 8 for q4_0, q - 16 for q5_0, q for
//    q4_1 / q5_1, qs for q8_0), broadcast 4 at a time; isum = dpbusd(x + 128, w) - 128 *
//    sum(w), exact.
#pragma once

#include "engine/backend/cpu/act_quant.h"
#include "engine/backend/cpu/matmul.h"

#include <cstddef>
#include <cstdint>

namespace ys::cpu {

inline constexpr int64_t kVnniTile = 16;

// Bytes of one repacked tile of 16 tokens for rows of `cols` elements.
size_t vnni_tile_bytes(int64_t cols);
// Repacks tokens [16*tile, 16*tile + 16) of the quantized activations (token-major,
// act_stride bytes apart) into out (vnni_tile_bytes(cols) bytes, 64-byte aligned).
void vnni_pack_tile(const uint8_t* act, size_t act_stride, int64_t tile, int64_t cols, uint8_t* out);
// y[(16*tile + t)*rows + r] for r in [r0, r1), every tile in [0, n_tiles).
void vnni_gemm_rows(const WeightView& w, const uint8_t* tiles, int64_t n_tiles, int64_t r0, int64_t r1, float* y);
// True for the weight types this path handles.
bool vnni_gemm_supports(quant::Type t);

}  // namespace ys::cpu
