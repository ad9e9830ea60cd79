// Elementwise kernels (semantics of engine/backend/cpu/ops.h): RMSNorm, bias, residual
// add, SwiGLU, GeGLU, scaling (constant, soft-cap, by position), RoPE (normal/NeoX, llama3
// frequency factors, YaRN), the paged KV append and the gather of output rows.
#include "engine/backend/cuda/check.cuh"
#include "engine/backend/cuda/kernels.h"

#include <cuda_fp16.h>

#include <algorithm>
#include <cmath>

namespace ys::cuda {

namespace {

cudaStream_t st() { return static_cast<cudaStream_t>(stream()); }
unsigned blocks_for(int64_t n, int threads) { return unsigned((n + threads - 1) / threads); }

// One block per row; the sum of squares in double, as the CPU does.
__global__ void rmsnorm_k(const float* x, const float* w, int64_t dim, float eps, float* y) {
  __shared__ double part[256];
  const float* xr = x + int64_t(blockIdx.x) * dim;
  float* yr = y + int64_t(blockIdx.x) * dim;
  double ss = 0.0;
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) ss += double(xr[i]) * double(xr[i]);
  part[threadIdx.x] = ss;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (int(threadIdx.x) < s) part[threadIdx.x] += part[threadIdx.x + s];
    __syncthreads();
  }
  const float scale = float(1.0 / sqrt(part[0] / double(dim) + double(eps)));
  __syncthreads();  // every thread has read part[0] before any y (which may alias x) is written
  for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) yr[i] = (xr[i] * scale) * w[i];
}

__global__ void add_bias_k(float* x, const float* b, int64_t n, int64_t dim) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) x[i] += b[i % dim];
}
__global__ void add_k(float* y, const float* x, int64_t n) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) y[i] += x[i];
}
__global__ void silu_mul_k(const float* gate, const float* up, float* out, int64_t n) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) {
    const float g = gate[i];
    out[i] = g / (1.0f + expf(-g)) * up[i];
  }
}

// gelu (tanh form) in double, rounded to float, times up (cpu::gelu_mul).
__global__ void gelu_mul_k(const float* gate, const float* up, float* out, int64_t n) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) {
    const double g = gate[i];
    const float ge = float(0.5 * g * (1.0 + tanh(0.79788456080286535588 * (g + 0.044715 * g * g * g))));
    out[i] = ge * up[i];
  }
}
__global__ void scale_k(float* x, int64_t n, float s) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) x[i] *= s;
}
__global__ void softcap_k(float* x, int64_t n, float cap) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) x[i] = float(double(cap) * tanh(double(x[i]) / double(cap)));
}
// Row t times its position's temperature (cpu::position_scale).
__global__ void pos_scale_k(float* x, int64_t n_rows, int64_t cols, const int32_t* pos, float floor_scale, float scale,
                            float offset) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n_rows * cols) return;
  const float f = floorf((float(pos[i / cols]) + offset) / floor_scale);
  x[i] *= float(log(double(f) + 1.0) * double(scale) + 1.0);
}

// One thread per (token, pair); the angle in double like cpu::rope, applied to every head.
__global__ void rope_k(float* x, int64_t n_tok, int n_head, int head_dim, const int32_t* pos, RopeDev p, double c0,
                       double c1) {
  const int half = p.n_rot / 2;
  const int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= n_tok * half) return;
  const int64_t t = idx / half;
  const int i = int(idx % half);
  const double pt = double(pos[t]);
  double theta_extrap = pt * pow(double(p.freq_base), -2.0 * i / p.n_rot);
  if (p.freq_factors) theta_extrap /= double(p.freq_factors[i]);
  const double theta_interp = double(p.freq_scale) * theta_extrap;
  double theta = theta_interp, mscale = p.attn_factor;
  if (p.ext_factor != 0.0f) {
    const double y = (i - c0) / fmax(0.001, c1 - c0);
    const double ramp = (1.0 - fmin(1.0, fmax(0.0, y))) * p.ext_factor;
    theta = theta_interp * (1.0 - ramp) + theta_extrap * ramp;
    mscale *= 1.0 + 0.1 * log(1.0 / p.freq_scale);
  }
  const float c = float(cos(theta) * mscale), s = float(sin(theta) * mscale);
  const int a = p.neox ? i : 2 * i, b = p.neox ? i + half : 2 * i + 1;
  for (int h = 0; h < n_head; ++h) {
    float* xh = x + (t * n_head + h) * head_dim;
    const float x0 = xh[a], x1 = xh[b];
    xh[a] = x0 * c - x1 * s;
    xh[b] = x0 * s + x1 * c;
  }
}

template <typename E>
__device__ __forceinline__ E to_elem(float x);
template <>
__device__ __forceinline__ float to_elem<float>(float x) { return x; }
template <>
__device__ __forceinline__ __half to_elem<__half>(float x) { return __float2half_rn(x); }

// One thread per (row, element): the row's slot in its sequence's block.
template <typename E>
__global__ void kv_store_k(const float* k, const float* v, int64_t n_rows, const int32_t* row_seq, const int32_t* pos,
                           PagedKv kv) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n_rows * kv.row_dim) return;
  const int64_t r = i / kv.row_dim, c = i % kv.row_dim, p = pos[r];
  const int32_t* table = kv.tables + int64_t(row_seq[r]) * kv.table_stride;
  const int64_t slot = (int64_t(table[p >> kv.block_shift]) << kv.block_shift) + (p & ((int64_t(1) << kv.block_shift) - 1));
  static_cast<E*>(kv.k)[slot * kv.row_dim + c] = to_elem<E>(k[i]);
  static_cast<E*>(kv.v)[slot * kv.row_dim + c] = to_elem<E>(v[i]);
}

__global__ void gather_rows_k(const float* x, int64_t cols, const int32_t* rows, int64_t n, float* y) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n * cols) return;
  y[i] = x[int64_t(rows[i / cols]) * cols + i % cols];
}

}  // namespace

void kv_store(const float* k, const float* v, int64_t n_rows, const int32_t* row_seq, const int32_t* pos,
              const PagedKv& kv) {
  const int64_t n = n_rows * kv.row_dim;
  if (n <= 0) return;
  if (kv.f16)
    kv_store_k<__half><<<blocks_for(n, 256), 256, 0, st()>>>(k, v, n_rows, row_seq, pos, kv);
  else
    kv_store_k<float><<<blocks_for(n, 256), 256, 0, st()>>>(k, v, n_rows, row_seq, pos, kv);
  check_launch("kv_store");
}

void gather_rows(const float* x, int64_t cols, const int32_t* rows, int64_t n, float* y) {
  if (n * cols <= 0) return;
  gather_rows_k<<<blocks_for(n * cols, 256), 256, 0, st()>>>(x, cols, rows, n, y);
  check_launch("gather_rows");
}

void rmsnorm(const float* x, const float* w, int64_t n_tok, int64_t dim, float eps, float* y) {
  if (n_tok <= 0) return;
  rmsnorm_k<<<unsigned(n_tok), 256, 0, st()>>>(x, w, dim, eps, y);
  check_launch("rmsnorm");
}
void add_bias(float* x, const float* b, int64_t n_tok, int64_t dim) {
  const int64_t n = n_tok * dim;
  if (n <= 0) return;
  add_bias_k<<<blocks_for(n, 256), 256, 0, st()>>>(x, b, n, dim);
  check_launch("add_bias");
}
void add_inplace(float* y, const float* x, int64_t n) {
  if (n <= 0) return;
  add_k<<<blocks_for(n, 256), 256, 0, st()>>>(y, x, n);
  check_launch("add_inplace");
}
void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  if (n <= 0) return;
  silu_mul_k<<<blocks_for(n, 256), 256, 0, st()>>>(gate, up, out, n);
  check_launch("silu_mul");
}

void gelu_mul(const float* gate, const float* up, float* out, int64_t n) {
  if (n <= 0) return;
  gelu_mul_k<<<blocks_for(n, 256), 256, 0, st()>>>(gate, up, out, n);
  check_launch("gelu_mul");
}
void scale(float* x, int64_t n, float s) {
  if (n <= 0) return;
  scale_k<<<blocks_for(n, 256), 256, 0, st()>>>(x, n, s);
  check_launch("scale");
}
void softcap(float* x, int64_t n, float cap) {
  if (n <= 0) return;
  softcap_k<<<blocks_for(n, 256), 256, 0, st()>>>(x, n, cap);
  check_launch("softcap");
}
void scale_by_position(float* x, int64_t n_rows, int64_t cols, const int32_t* pos, float floor_scale, float scale,
                       float offset) {
  const int64_t n = n_rows * cols;
  if (n <= 0) return;
  pos_scale_k<<<blocks_for(n, 256), 256, 0, st()>>>(x, n_rows, cols, pos, floor_scale, scale, offset);
  check_launch("scale_by_position");
}

void rope(float* x, int64_t n_tok, int n_head, int head_dim, const int32_t* pos, const RopeDev& p) {
  const int64_t n = n_tok * (p.n_rot / 2);
  if (n <= 0) return;
  double c0 = 0.0, c1 = 0.0;  // YaRN correction dims (host, as cpu yarn_corr_dims)
  if (p.ext_factor != 0.0f) {
    auto corr = [&](double r) {
      return p.n_rot * std::log(p.n_ctx_orig / (r * 2.0 * M_PI)) / (2.0 * std::log(double(p.freq_base)));
    };
    c0 = std::max(0.0, std::floor(corr(p.beta_fast)));
    c1 = std::min(double(p.n_rot - 1), std::ceil(corr(p.beta_slow)));
  }
  rope_k<<<blocks_for(n, 128), 128, 0, st()>>>(x, n_tok, n_head, head_dim, pos, p, c0, c1);
  check_launch("rope");
}

}  // namespace ys::cuda
