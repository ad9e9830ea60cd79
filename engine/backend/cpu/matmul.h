// Matrix product of a (possibly quantized) weight matrix with f32 activations.
//
// Y[t*rows + r] = sum_k W[r,k] * X[t*cols + k], t in [0, n_tok).
//
// Invariant: every Y element is computed by one fixed per-element routine with a fixed
// summation order, so its bits do not depend on n_tok, on the thread count, on which
// rows a thread gets, nor on the ISA variant (scalar, avx2 and avx512 agree bitwise).
// Activations are quantized per token first (q4_0/q4_1/q5_0/q5_1/q8_0 weights: 8-bit
// blocks of 32 with an f32 scale; K-quant weights: q8_k), as llama.cpp does, so integer
// dot products are exact; f32/f16/bf16 weights use f32 activations with fused
// multiply-adds.
// The routine is spelled out in kernels.h (kernels_scalar.cpp is its plain version).
//
// Activation precision (WeightView::act) for quantized weights:
//  * int8 (the default of this struct): the 8-bit activations above, as llama.cpp does
//    (integer dot products), ~0.045 mean |logprob| from an fp64 forward pass.
//  * f32: each row of weights is dequantized (quant::dequantize_row's exact values) and
//    multiplied with the f32 activations by the f32-weight routine, so every Y element has
//    the bits of the same product on weights converted to f32 at load (--quant f32),
//    without the 4x memory; ~1e-6 mean |logprob| from the fp64 reference. Up to 8 tokens
//    dequantize in registers (decode; on AVX-512 as fast as or faster than int8 here),
//    more go through dequantized row panels and a register-blocked f32 GEMM.
//
// Accuracy against an fp64 dot on the dequantized weights (tests/quant/matmul_test.cpp):
//  * f32/f16/bf16: |err| <= (cols/16 + 4) * 2^-24 * sum|w x| (fma accumulation bound);
//    measured <= 3.5e-8 * sum|w x| at cols 1536.
//  * quantized weights: the 8-bit activations move each x by <= amax_block/254, so
//    |err| <= sum_blocks sum|w| * amax_block(x) / 254 (+ 2e-5 sum|w x| of float rounding);
//    measured max 6.6e-4 (q8_0) .. 9.4e-4 (q6_k) * sum|w x|, mean ~2e-4, with N(0,1) x.
//    With activations that quantize exactly, only float rounding remains (tested).
#pragma once

#include "engine/backend/cpu/thread_pool.h"
#include "engine/quant/types.h"

#include <cstdint>
#include <string>

namespace ys::cpu {

enum class ActPrecision : uint8_t { int8 = 0, f32 = 1 };

struct WeightView {
  quant::Type type;
  const void* data;
  int64_t rows;
  int64_t cols;  // = k; row-major, each row quant::row_bytes(type, cols) bytes
  ActPrecision act = ActPrecision::int8;  // ignored for f32/f16/bf16 weights
};

// "int8" | "f32" <-> ActPrecision; parse throws ys::Error(invalid_input) naming `flag`.
ActPrecision parse_act_precision(const std::string& name, const std::string& flag);
const char* act_precision_name(ActPrecision a);

// x: n_tok * cols floats, y: n_tok * rows floats (must not overlap x).
// Throws ys::Error(unsupported) for a type without a kernel and (invalid_input) when cols
// is not a multiple of the type's block size.
void matmul(const WeightView& w, const float* x, int64_t n_tok, float* y, ThreadPool& pool);

// Several products of one input (Q/K/V, gate/up): the same results as one matmul call
// each, bit for bit. When all weights share type, cols and activation precision and the
// batch is small (decode), the activations are prepared once and the rows of all the
// matrices are split among the threads in one parallel pass (one wake-up instead of one
// per matrix); otherwise the calls simply run one after the other.
struct MatmulOut {
  const WeightView* w;
  float* y;  // n_tok * w->rows floats
};
void matmul_shared(const MatmulOut* outs, int n_outs, const float* x, int64_t n_tok, ThreadPool& pool);

// The selected variant: "avx512-vnni", "avx2" or "scalar". Env YS_ISA=scalar|avx2|avx512
// forces a lower variant (never a higher one than the CPU supports); read once.
std::string isa_name();
// True when matmul has a kernel for weights of this type.
bool matmul_supports(quant::Type t);

}  // namespace ys::cpu
