// Device dequantization of one 32-element unit of a row in its GGUF block layout
// (engine/quant/blocks.h). Unit u covers elements [32u, 32u+32). For the K-quants a unit
// is one q4_k/q5_k sub-block, or two q6_k sub-blocks of 16. Each value is computed with
// the same float operations, in the same order, as quant::dequantize_row on the CPU.
// The functions are __host__ __device__ so that tests check the block decoding on machines
// without a GPU (host_dequant_unit in kernels.h).
#pragma once

#include "engine/quant/blocks.h"
#include "engine/quant/types.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cstdint>
#include <cstring>

namespace ys::cuda {

__host__ __device__ __forceinline__ float h2f(const uint8_t* p) {
  const uint16_t b = uint16_t(p[0]) | uint16_t(uint16_t(p[1]) << 8);
  return __half2float(__ushort_as_half(b));
}
__host__ __device__ __forceinline__ float u32_as_f32(uint32_t b) {
#ifdef __CUDA_ARCH__
  return __uint_as_float(b);
#else
  float f;
  memcpy(&f, &b, 4);
  return f;
#endif
}

template <quant::Type T>
struct Unit;

template <>
struct Unit<quant::Type::f32> {
  __host__ __device__ static void deq(const uint8_t* row, int64_t u, float* v) {
    const float* p = reinterpret_cast<const float*>(row) + u * 32;
#pragma unroll
    for (int i = 0; i < 32; ++i) v[i] = p[i];
  }
};
template <>
struct Unit<quant::Type::f16> {
  __host__ __device__ static void deq(const uint8_t* row, int64_t u, float* v) {
    const __half* p = reinterpret_cast<const __half*>(row) + u * 32;
#pragma unroll
    for (int i = 0; i < 32; ++i) v[i] = __half2float(p[i]);
  }
};
template <>
struct Unit<quant::Type::bf16> {
  __host__ __device__ static void deq(const uint8_t* row, int64_t u, float* v) {
    const uint16_t* p = reinterpret_cast<const uint16_t*>(row) + u * 32;
#pragma unroll
    for (int i = 0; i < 32; ++i) v[i] = u32_as_f32(uint32_t(p[i]) << 16);
  }
};
template <>
struct Unit<quant::Type::q8_0> {
  __host__ __device__ static void deq(const uint8_t* row, int64_t u, float* v) {
    const uint8_t* b = row + u * 34;
    const float d = h2f(b);
    const int8_t* q = reinterpret_cast<const int8_t*>(b + 2);
#pragma unroll
    for (int i = 0; i < 32; ++i) v[i] = float(q[i]) * d;
  }
};
template <>
struct Unit<quant::Type::q4_0> {
  __host__ __device__ static void deq(const uint8_t* row, int64_t u, float* v) {
    const uint8_t* b = row + u * 18;
    const float d = h2f(b);
    const uint8_t* q = b + 2;
#pragma unroll
    for (int i = 0; i < 16; ++i) {
      v[i] = float(int(q[i] & 0xF) - 8) * d;
      v[i + 16] = float(int(q[i] >> 4) - 8) * d;
    }
  }
};
template <>
struct Unit<quant::Type::q4_1> {
  __host__ __device__ static void deq(const uint8_t* row, int64_t u, float* v) {
    const uint8_t* b = row + u * 20;
    const float d = h2f(b), m = h2f(b + 2);
    const uint8_t* q = b + 4;
#pragma unroll
    for (int i = 0; i < 16; ++i) {
      v[i] = float(q[i] & 0xF) * d + m;
      v[i + 16] = float(q[i] >> 4) * d + m;
    }
  }
};

__host__ __device__ __forceinline__ void k_scale_min_dev(int j, const uint8_t* q, int& sc, int& mn) {
  if (j < 4) {
    sc = q[j] & 63;
    mn = q[j + 4] & 63;
  } else {
    sc = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    mn = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

template <>
struct Unit<quant::Type::q4_k> {
  __host__ __device__ static void deq(const uint8_t* row, int64_t u, float* v) {
    const uint8_t* b = row + (u / 8) * 144;
    const int j = int(u % 8);
    const float d = h2f(b), dmin = h2f(b + 2);
    int sc, mn;
    k_scale_min_dev(j, b + 4, sc, mn);
    const float d1 = d * float(sc), m1 = dmin * float(mn);
    const uint8_t* qs = b + 16 + (j / 2) * 32;
    const int shift = (j & 1) ? 4 : 0;
#pragma unroll
    for (int l = 0; l < 32; ++l) v[l] = d1 * float((qs[l] >> shift) & 0xF) - m1;
  }
};
template <>
struct Unit<quant::Type::q5_k> {
  __host__ __device__ static void deq(const uint8_t* row, int64_t u, float* v) {
    const uint8_t* b = row + (u / 8) * 176;
    const int j = int(u % 8);
    const float d = h2f(b), dmin = h2f(b + 2);
    int sc, mn;
    k_scale_min_dev(j, b + 4, sc, mn);
    const float d1 = d * float(sc), m1 = dmin * float(mn);
    const uint8_t* qh = b + 16;
    const uint8_t* qs = b + 48 + (j / 2) * 32;
    const int shift = (j & 1) ? 4 : 0;
#pragma unroll
    for (int l = 0; l < 32; ++l) {
      const int q = ((qs[l] >> shift) & 0xF) | (((qh[l] >> j) & 1) << 4);
      v[l] = d1 * float(q) - m1;
    }
  }
};
template <>
struct Unit<quant::Type::q6_k> {
  // Unit u of a super-block: half h = (u%8)/4, quarter g = u%4; element l of the unit is
  // e = 128h + 32g + l (the CPU's dequantize_q6_k indexing).
  __host__ __device__ static void deq(const uint8_t* row, int64_t u, float* v) {
    const uint8_t* b = row + (u / 8) * 210;
    const int h = int(u % 8) / 4, g = int(u % 4);
    const uint8_t* ql = b + 64 * h + 32 * (g & 1);
    const uint8_t* qh = b + 128 + 32 * h;
    const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192) + 8 * h + 2 * g;
    const float d = h2f(b + 208);
#pragma unroll
    for (int l = 0; l < 32; ++l) {
      const int lo = (g >= 2) ? (ql[l] >> 4) : (ql[l] & 0xF);
      const int hi = (qh[l] >> (2 * g)) & 3;
      v[l] = d * float(sc[l / 16]) * float((lo | (hi << 4)) - 32);
    }
  }
};

// Calls f.template operator()<T>() for the runtime type t; returns false when unsupported.
template <typename F>
bool dispatch_type(quant::Type t, F&& f) {
  switch (t) {
    case quant::Type::f32: f.template operator()<quant::Type::f32>(); return true;
    case quant::Type::f16: f.template operator()<quant::Type::f16>(); return true;
    case quant::Type::bf16: f.template operator()<quant::Type::bf16>(); return true;
    case quant::Type::q8_0: f.template operator()<quant::Type::q8_0>(); return true;
    case quant::Type::q4_0: f.template operator()<quant::Type::q4_0>(); return true;
    case quant::Type::q4_1: f.template operator()<quant::Type::q4_1>(); return true;
    case quant::Type::q4_k: f.template operator()<quant::Type::q4_k>(); return true;
    case quant::Type::q5_k: f.template operator()<quant::Type::q5_k>(); return true;
    case quant::Type::q6_k: f.template operator()<quant::Type::q6_k>(); return true;
    default: return false;
  }
}

}  // namespace ys::cuda
