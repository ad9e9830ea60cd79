// Weight kernels: GEMV for decode, dequantization to f16 (for cuBLAS), embedding gather,
// and the GEMV/GEMM dispatch of matmul.
#include "engine/backend/cuda/check.cuh"
#include "engine/backend/cuda/device.h"
#include "engine/backend/cuda/kernels.h"
#include "engine/backend/cuda/quant_units.cuh"

namespace ys::cuda {

namespace {

constexpr int kWarpsPerBlock = 4;
cudaStream_t st() { return static_cast<cudaStream_t>(stream()); }

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Version 1 (MoE, per-b expert): one warp per (row, b); lane L takes units L, L+32, ...;
// each unit is dequantized to registers and dotted with 32 activations (8 x 16-byte loads).
template <quant::Type T>
__global__ void gemv_ids_k(const uint8_t* w, uint64_t mat_bytes, uint64_t row_bytes, int64_t rows, int64_t cols,
                           const float* x, int64_t x_div, const int32_t* ids, float* y) {
  const int lane = threadIdx.x & 31;
  const int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
  const int64_t b = blockIdx.y;
  if (r >= rows) return;
  const int64_t e = ids ? ids[b] : 0;
  const uint8_t* row = w + uint64_t(e) * mat_bytes + uint64_t(r) * row_bytes;
  const float4* xr = reinterpret_cast<const float4*>(x + (b / x_div) * cols);
  float acc = 0.0f;
  const int64_t n_units = cols / 32;
  for (int64_t u = lane; u < n_units; u += 32) {
    float v[32];
    Unit<T>::deq(row, u, v);
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      const float4 xv = xr[u * 8 + i];
      acc += v[4 * i] * xv.x + v[4 * i + 1] * xv.y + v[4 * i + 2] * xv.z + v[4 * i + 3] * xv.w;
    }
  }
  acc = warp_sum(acc);
  if (lane == 0) y[b * rows + r] = acc;
}

// Version 2 (dense, n_b <= NB tokens): one warp per row; each unit is dequantized once and
// dotted with the activations of every token, so the weights are read once per call
// (batched decode costs about one token's weight traffic). Per-token results are the same
// arithmetic as version 1.
template <quant::Type T, int NB>
__global__ void gemv_k(const uint8_t* w, uint64_t row_bytes, int64_t rows, int64_t cols, const float* x, int n_b,
                       float* y) {
  const int lane = threadIdx.x & 31;
  const int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
  if (r >= rows) return;
  const uint8_t* row = w + uint64_t(r) * row_bytes;
  float acc[NB];
#pragma unroll
  for (int b = 0; b < NB; ++b) acc[b] = 0.0f;
  const int64_t n_units = cols / 32;
  for (int64_t u = lane; u < n_units; u += 32) {
    float v[32];
    Unit<T>::deq(row, u, v);
#pragma unroll
    for (int b = 0; b < NB; ++b) {
      if (b >= n_b) break;
      const float4* xr = reinterpret_cast<const float4*>(x + b * cols);
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        const float4 xv = xr[u * 8 + i];
        acc[b] += v[4 * i] * xv.x + v[4 * i + 1] * xv.y + v[4 * i + 2] * xv.z + v[4 * i + 3] * xv.w;
      }
    }
  }
#pragma unroll
  for (int b = 0; b < NB; ++b) {
    if (b >= n_b) break;
    const float s = warp_sum(acc[b]);
    if (lane == 0) y[int64_t(b) * rows + r] = s;
  }
}

// Deterministic version (--deterministic): ONE compiled kernel for every token count, the
// multiply-adds written as round-to-nearest intrinsics (__fmaf_rn / __fadd_rn, which nvcc
// neither contracts nor reorders) in a fixed order. Per token b: lane L walks units L, L+32,
// ...; per unit four partial sums (one per float4 component, over i = 0..7) combined as
// (p0 + p1) + (p2 + p3) and added to the lane's sum; then the fixed xor butterfly. Nothing
// of token b's arithmetic depends on n_b or on the other tokens' activations. Block y is a
// group of kDetTokens tokens, so one launch covers any n_tok.
constexpr int kDetTokens = 8;

template <quant::Type T>
__global__ void gemv_det_k(const uint8_t* w, uint64_t row_bytes, int64_t rows, int64_t cols, const float* x,
                           int64_t n_tok, float* y) {
  const int lane = threadIdx.x & 31;
  const int64_t r = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
  if (r >= rows) return;
  const int64_t t0 = int64_t(blockIdx.y) * kDetTokens;
  const int n_b = int(min(int64_t(kDetTokens), n_tok - t0));
  const uint8_t* row = w + uint64_t(r) * row_bytes;
  float acc[kDetTokens];
#pragma unroll
  for (int b = 0; b < kDetTokens; ++b) acc[b] = 0.0f;
  const int64_t n_units = cols / 32;
  for (int64_t u = lane; u < n_units; u += 32) {
    float v[32];
    Unit<T>::deq(row, u, v);
#pragma unroll
    for (int b = 0; b < kDetTokens; ++b) {
      if (b >= n_b) break;
      const float4* xr = reinterpret_cast<const float4*>(x + (t0 + b) * cols) + u * 8;
      float p0 = 0.0f, p1 = 0.0f, p2 = 0.0f, p3 = 0.0f;
#pragma unroll
      for (int i = 0; i < 8; ++i) {
        const float4 xv = xr[i];
        p0 = __fmaf_rn(v[4 * i], xv.x, p0);
        p1 = __fmaf_rn(v[4 * i + 1], xv.y, p1);
        p2 = __fmaf_rn(v[4 * i + 2], xv.z, p2);
        p3 = __fmaf_rn(v[4 * i + 3], xv.w, p3);
      }
      acc[b] = __fadd_rn(acc[b], __fadd_rn(__fadd_rn(p0, p1), __fadd_rn(p2, p3)));
    }
  }
#pragma unroll
  for (int b = 0; b < kDetTokens; ++b) {
    if (b >= n_b) break;
    const float s = warp_sum(acc[b]);
    if (lane == 0) y[(t0 + b) * rows + r] = s;
  }
}

template <quant::Type T>
__global__ void dequant_f16_k(const uint8_t* w, uint64_t row_bytes, int64_t rows, int64_t cols, __half* out) {
  const int64_t units_per_row = cols / 32;
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * units_per_row) return;
  const int64_t r = i / units_per_row, u = i % units_per_row;
  float v[32];
  Unit<T>::deq(w + uint64_t(r) * row_bytes, u, v);
  __half* o = out + r * cols + u * 32;
#pragma unroll
  for (int k = 0; k < 32; ++k) o[k] = __float2half_rn(v[k]);
}

template <quant::Type T>
__global__ void embed_k(const uint8_t* w, uint64_t row_bytes, int64_t rows, int64_t cols, const int32_t* tokens,
                        float* x, int32_t* bad) {
  const int64_t t = blockIdx.x;
  const int32_t id = tokens[t];
  float* o = x + t * cols;
  if (id < 0 || id >= rows) {
    for (int64_t i = threadIdx.x; i < cols; i += blockDim.x) o[i] = 0.0f;
    if (threadIdx.x == 0) *bad = 1;
    return;
  }
  for (int64_t u = threadIdx.x; u < cols / 32; u += blockDim.x) {
    float v[32];
    Unit<T>::deq(w + uint64_t(id) * row_bytes, u, v);
#pragma unroll
    for (int k = 0; k < 32; ++k) o[u * 32 + k] = v[k];
  }
}

__global__ void to_f16_k(const float* x, __half* y, int64_t n) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) y[i] = __float2half_rn(x[i]);
}

void unsupported(quant::Type t) {
  raise(Err::unsupported, std::string("CUDA backend: no kernel for weight type ") + quant::name(t));
}

}  // namespace

bool supports(quant::Type t) {
  switch (t) {
    case quant::Type::f32: case quant::Type::f16: case quant::Type::bf16: case quant::Type::q8_0:
    case quant::Type::q4_0: case quant::Type::q4_1: case quant::Type::q4_k: case quant::Type::q5_k:
    case quant::Type::q6_k: return true;
    default: return false;
  }
}

bool host_dequant_unit(quant::Type t, const void* row, int64_t u, float out[32]) {
  return dispatch_type(t, [&] <quant::Type T> () { Unit<T>::deq(static_cast<const uint8_t*>(row), u, out); });
}

int64_t gemv_max_tokens() { return kDetTokens; }

void gemv(const DevMat& w, const float* x, int64_t x_div, int64_t n_b, const int32_t* ids, float* y) {
  if (n_b <= 0 || w.rows <= 0) return;
  const uint64_t rb = quant::row_bytes(w.type, uint64_t(w.cols));
  const auto* base = static_cast<const uint8_t*>(w.data);
  const unsigned row_blocks = unsigned((w.rows + kWarpsPerBlock - 1) / kWarpsPerBlock);
  bool ok = false;
  if (ids || x_div != 1 || n_b > 8) {
    const dim3 grid(row_blocks, unsigned(n_b));
    ok = dispatch_type(w.type, [&] <quant::Type T> () {
      gemv_ids_k<T><<<grid, 32 * kWarpsPerBlock, 0, st()>>>(base, w.mat_bytes, rb, w.rows, w.cols, x, x_div, ids, y);
    });
  } else {
    ok = dispatch_type(w.type, [&] <quant::Type T> () {
      const int nb = int(n_b);
      if (nb == 1)
        gemv_k<T, 1><<<row_blocks, 32 * kWarpsPerBlock, 0, st()>>>(base, rb, w.rows, w.cols, x, nb, y);
      else if (nb <= 2)
        gemv_k<T, 2><<<row_blocks, 32 * kWarpsPerBlock, 0, st()>>>(base, rb, w.rows, w.cols, x, nb, y);
      else if (nb <= 4)
        gemv_k<T, 4><<<row_blocks, 32 * kWarpsPerBlock, 0, st()>>>(base, rb, w.rows, w.cols, x, nb, y);
      else
        gemv_k<T, 8><<<row_blocks, 32 * kWarpsPerBlock, 0, st()>>>(base, rb, w.rows, w.cols, x, nb, y);
    });
  }
  if (!ok) unsupported(w.type);
  check_launch("gemv");
}

void matmul_deterministic(const DevMat& w, const float* x, int64_t n_tok, float* y) {
  if (n_tok <= 0 || w.rows <= 0) return;
  const int64_t groups = (n_tok + kDetTokens - 1) / kDetTokens;
  if (groups > 65535) raise(Err::invalid_input, "CUDA deterministic matmul: " + std::to_string(n_tok) + " tokens in one call");
  const uint64_t rb = quant::row_bytes(w.type, uint64_t(w.cols));
  const auto* base = static_cast<const uint8_t*>(w.data);
  const dim3 grid(unsigned((w.rows + kWarpsPerBlock - 1) / kWarpsPerBlock), unsigned(groups));
  const bool ok = dispatch_type(w.type, [&] <quant::Type T> () {
    gemv_det_k<T><<<grid, 32 * kWarpsPerBlock, 0, st()>>>(base, rb, w.rows, w.cols, x, n_tok, y);
  });
  if (!ok) unsupported(w.type);
  check_launch("gemv_deterministic");
}

void dequant_f16(const DevMat& w, int64_t mat, uint16_t* out) {
  const uint64_t rb = quant::row_bytes(w.type, uint64_t(w.cols));
  const auto* base = static_cast<const uint8_t*>(w.data) + uint64_t(mat) * w.mat_bytes;
  const int64_t n = w.rows * (w.cols / 32);
  const unsigned blocks = unsigned((n + 255) / 256);
  const bool ok = dispatch_type(w.type, [&] <quant::Type T> () {
    dequant_f16_k<T><<<blocks, 256, 0, st()>>>(base, rb, w.rows, w.cols, reinterpret_cast<__half*>(out));
  });
  if (!ok) unsupported(w.type);
  check_launch("dequant_f16");
}

void embed(const DevMat& w, const int32_t* tokens, int64_t n_tok, float* x, int32_t* bad) {
  if (n_tok <= 0) return;
  const uint64_t rb = quant::row_bytes(w.type, uint64_t(w.cols));
  const auto* base = static_cast<const uint8_t*>(w.data);
  const bool ok = dispatch_type(w.type, [&] <quant::Type T> () {
    embed_k<T><<<unsigned(n_tok), 128, 0, st()>>>(base, rb, w.rows, w.cols, tokens, x, bad);
  });
  if (!ok) unsupported(w.type);
  check_launch("embed");
}

void to_f16(const float* x, uint16_t* y, int64_t n) {
  if (n <= 0) return;
  to_f16_k<<<unsigned((n + 255) / 256), 256, 0, st()>>>(x, reinterpret_cast<__half*>(y), n);
  check_launch("to_f16");
}

void matmul(const DevMat& w, const float* x, int64_t n_tok, float* y, uint16_t* scratch_w, uint16_t* scratch_x) {
  if (n_tok <= gemv_max_tokens()) {
    gemv(w, x, 1, n_tok, nullptr, y);
    return;
  }
  // Y^T [rows, n_tok] (column-major, ld rows) = W (row-major [rows, cols] = column-major
  // [cols, rows], transposed) * X^T (column-major [cols, n_tok]).
  // F16 weights go to cuBLAS as they are; other types are dequantized to f16 first.
  const void* wh = w.data;
  if (w.type != quant::Type::f16) {
    dequant_f16(w, 0, scratch_w);
    wh = scratch_w;
  }
  to_f16(x, scratch_x, n_tok * w.cols);
  const float alpha = 1.0f, beta = 0.0f;
  YS_CUBLAS(cublasGemmEx(static_cast<cublasHandle_t>(blas()), CUBLAS_OP_T, CUBLAS_OP_N, int(w.rows), int(n_tok),
                         int(w.cols), &alpha, wh, CUDA_R_16F, int(w.cols), scratch_x, CUDA_R_16F, int(w.cols),
                         &beta, y, CUDA_R_32F, int(w.rows), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

}  // namespace ys::cuda
