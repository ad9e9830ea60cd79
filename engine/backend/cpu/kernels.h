// Internal: the per-ISA kernel tables behind matmul (tests use them to compare variants).
//
// The canonical per-element routine, which every variant reproduces bit for bit
// (all products below are fused multiply-adds, fma(a, b, c) = a*b + c rounded once):
//  * f32 / f16 / bf16 weights, f32 activations: 16 lane accumulators, element k goes to
//    lane k % 16: acc[k%16] = fma(w_k, x_k, acc[k%16]); then reduce16 (below).
//  * q4_0 / q4_1 / q5_0 / q5_1 / q8_0 weights, ActQ8x8 activations: per block b the exact
//    integer isum_b = sum_j wq_j * xq_j (wq = q - 8 for q4_0, q - 16 for q5_0, q for q4_1 /
//    q5_1 / q8_0); 8 lane accumulators, block b to lane b % 8:
//      q4_0, q5_0, q8_0: acc = fma(dw*dx, float(isum_b), acc)
//      q4_1, q5_1:       acc = fma(dw*dx, float(isum_b), fma(mw*dx, float(xsum_b), acc))
//    then reduce8.
//  * q4_k / q5_k weights, q8_k activations: per super-block the integers
//    isum = sum_j sc_j * dot_j and msum = sum_j mn_j * (bsum_2j + bsum_2j+1);
//    s = fma(d*dx, float(isum), s); s = fma(-(dmin*dx), float(msum), s), super-blocks in order
//    (the second step is skipped when dmin == 0 and msum == 0: it would add a zero).
//  * q6_k: isum = sum_s sc_s * sum (q-32)*x over sub-block s; s = fma(d*dx, float(isum), s).
//  reduce8(a)  = ((a0+a4) + (a2+a6)) + ((a1+a5) + (a3+a7))
//  reduce16(a) = reduce8(a_i + a_{i+8})
#pragma once

#include "engine/backend/cpu/act_quant.h"
#include "engine/backend/cpu/matmul.h"

#include <cstddef>
#include <cstdint>

namespace ys::cpu {

enum class Isa { scalar = 0, avx2 = 1, avx512 = 2 };

// Computes y[t*rows + r] for r in [r0, r1), t in [0, n_tok). `act` is token-major:
// token t's prepared activations start at act + t*act_stride bytes (f32 row for float
// weights, ActQ8x8 groups for 32-element types, block_q8_k for K-quants).
using RowsFn = void (*)(const WeightView& w, const void* act, size_t act_stride, int64_t n_tok, int64_t r0,
                        int64_t r1, float* y);

// Dequantizes one row of `cols` weights to f32 with the bits of quant::dequantize_row
// (the f32 activation path multiplies these with the f32 routine).
using DeqFn = void (*)(const void* row, float* out, int64_t cols);

struct KernelSet {
  RowsFn f32 = nullptr, f16 = nullptr, bf16 = nullptr;
  RowsFn q4_0 = nullptr, q4_1 = nullptr, q8_0 = nullptr, q5_0 = nullptr, q5_1 = nullptr;
  RowsFn q4_k = nullptr, q5_k = nullptr, q6_k = nullptr;
  DeqFn deq_q4_0 = nullptr, deq_q4_1 = nullptr, deq_q8_0 = nullptr;  // null: quant::dequantize_row
  DeqFn deq_q5_0 = nullptr, deq_q5_1 = nullptr;
  DeqFn deq_q4_k = nullptr, deq_q5_k = nullptr, deq_q6_k = nullptr;
  // f32 rows (row-major, `cols` each) x tokens (token t at x + t*x_stride): y[t*ys + r],
  // r in [0, n_rows). The canonical f32 routine; null where the variant has none.
  using PanelFn = void (*)(const float* w, int64_t n_rows, int64_t cols, const float* x, int64_t x_stride,
                           int64_t n_tok, float* y, int64_t ys);
  PanelFn f32_panel = nullptr;
  // Quantized weights x f32 activations (act = f32 rows), dequantized in registers: the
  // bits of deq + f32 routine; for few tokens. Null where the variant has none.
  RowsFn f32act_q4_0 = nullptr, f32act_q4_1 = nullptr, f32act_q8_0 = nullptr;
  RowsFn f32act_q5_0 = nullptr, f32act_q5_1 = nullptr;
  RowsFn f32act_q4_k = nullptr, f32act_q5_k = nullptr, f32act_q6_k = nullptr;
  // quantize_act_q8 with the same bits (null: the scalar act_quant.cpp).
  void (*act_q8)(const float* x, ActQ8x8* out, int64_t n) = nullptr;
};

const KernelSet& kernels_scalar();
const KernelSet& kernels_avx2();    // entries null where the variant has no kernel
const KernelSet& kernels_avx512();

// The best variant the CPU supports, lowered by env YS_ISA.
Isa selected_isa();
bool cpu_supports(Isa isa);
const char* isa_label(Isa isa);

// matmul with an explicit variant (falls back per type to a lower variant's kernel).
void matmul_isa(Isa isa, const WeightView& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool);

inline float reduce8(const float* a) {
  return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}
inline float reduce16(const float* a) {
  float h[8];
  for (int i = 0; i < 8; ++i) h[i] = a[i] + a[i + 8];
  return reduce8(h);
}

}  // namespace ys::cpu
