#include "engine/quant/quant.h"

#include "common/error.h"
#include "engine/quant/blocks.h"
#include "engine/quant/quant_k.h"

#include <algorithm>
#include <cmath>

namespace ys::quant {
namespace {

void check_len(Type t, int64_t n) {
  const int64_t bs = traits(t).block_size;
  if (n < 0 || n % bs != 0)
    fail(ErrorKind::invalid_input, "row of {} elements is not a multiple of the {} block size {}", n, name(t), bs);
}

// floor(v) clamped to [lo, hi]; NaN -> lo. Never converts an out-of-range float.
int floor_clamp(float v, int lo, int hi) {
  if (!(v >= static_cast<float>(lo))) return lo;
  if (v >= static_cast<float>(hi)) return hi;
  return static_cast<int>(std::floor(v));
}

// The first of the 32 values with the largest magnitude, with its sign (0 if all are 0).
float signed_absmax32(const float* x) {
  float amax = 0.0f, vmax = 0.0f;
  for (int j = 0; j < 32; ++j) {
    if (std::fabs(x[j]) > amax) {
      amax = std::fabs(x[j]);
      vmax = x[j];
    }
  }
  return vmax;
}

// The smallest and largest of 32 values (std::min/max order: a NaN after x[0] is skipped).
void min_max32(const float* x, float& lo, float& hi) {
  lo = hi = x[0];
  for (int j = 1; j < 32; ++j) {
    lo = std::min(lo, x[j]);
    hi = std::max(hi, x[j]);
  }
}

void deq_q4_0(const block_q4_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(b[i].d);
    for (int j = 0; j < 16; ++j) {
      y[i * 32 + j] = d * static_cast<float>((b[i].qs[j] & 0xF) - 8);
      y[i * 32 + j + 16] = d * static_cast<float>((b[i].qs[j] >> 4) - 8);
    }
  }
}

void deq_q4_1(const block_q4_1* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(b[i].d);
    const float m = f16_to_f32(b[i].m);
    for (int j = 0; j < 16; ++j) {
      y[i * 32 + j] = d * static_cast<float>(b[i].qs[j] & 0xF) + m;
      y[i * 32 + j + 16] = d * static_cast<float>(b[i].qs[j] >> 4) + m;
    }
  }
}

void deq_q5_0(const block_q5_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(b[i].d);
    const uint32_t qh = q5_high_bits(b[i].qh);
    for (int j = 0; j < 32; ++j) y[i * 32 + j] = d * static_cast<float>(q5_value(b[i].qs, qh, j) - 16);
  }
}

void deq_q5_1(const block_q5_1* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(b[i].d);
    const float m = f16_to_f32(b[i].m);
    const uint32_t qh = q5_high_bits(b[i].qh);
    for (int j = 0; j < 32; ++j) y[i * 32 + j] = d * static_cast<float>(q5_value(b[i].qs, qh, j)) + m;
  }
}

// Packs 32 five-bit values into a q5 block's qs and qh.
template <typename B>
void pack_q5(const int* q, B& b) {
  uint32_t qh = 0;
  for (int j = 0; j < 16; ++j) b.qs[j] = static_cast<uint8_t>((q[j] & 0xF) | (q[j + 16] & 0xF) << 4);
  for (int j = 0; j < 32; ++j) qh |= static_cast<uint32_t>((q[j] >> 4) & 1) << j;
  for (int k = 0; k < 4; ++k) b.qh[k] = static_cast<uint8_t>(qh >> (8 * k));
}

void q_q5_0(const float* x, block_q5_0* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += 32) {
    const float d = signed_absmax32(x) / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = f32_to_f16(d);
    int q[32];
    for (int j = 0; j < 32; ++j) q[j] = floor_clamp(x[j] * id + 16.5f, 0, 31);
    pack_q5(q, b[i]);
  }
}

void q_q5_1(const float* x, block_q5_1* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += 32) {
    float lo, hi;
    min_max32(x, lo, hi);
    const float d = (hi - lo) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = f32_to_f16(d);
    b[i].m = f32_to_f16(lo);
    int q[32];
    for (int j = 0; j < 32; ++j) q[j] = floor_clamp((x[j] - lo) * id + 0.5f, 0, 31);
    pack_q5(q, b[i]);
  }
}

void deq_q8_0(const block_q8_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(b[i].d);
    for (int j = 0; j < 32; ++j) y[i * 32 + j] = d * static_cast<float>(b[i].qs[j]);
  }
}

void q_q4_0(const float* x, block_q4_0* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += 32) {
    const float d = signed_absmax32(x) / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = f32_to_f16(d);
    for (int j = 0; j < 16; ++j) {
      const int lo = floor_clamp(x[j] * id + 8.5f, 0, 15);
      const int hi = floor_clamp(x[j + 16] * id + 8.5f, 0, 15);
      b[i].qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
  }
}

void q_q4_1(const float* x, block_q4_1* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += 32) {
    float lo, hi;
    min_max32(x, lo, hi);
    const float d = (hi - lo) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = f32_to_f16(d);
    b[i].m = f32_to_f16(lo);
    for (int j = 0; j < 16; ++j) {
      const int a = floor_clamp((x[j] - lo) * id + 0.5f, 0, 15);
      const int c = floor_clamp((x[j + 16] - lo) * id + 0.5f, 0, 15);
      b[i].qs[j] = static_cast<uint8_t>(a | (c << 4));
    }
  }
}

void q_q8_0(const float* x, block_q8_0* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += 32) {
    float amax = 0.0f;
    for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    b[i].d = f32_to_f16(d);
    for (int j = 0; j < 32; ++j)
      b[i].qs[j] = static_cast<int8_t>(floor_clamp(std::nearbyint(x[j] * id), -127, 127));
  }
}

}  // namespace

bool can_dequantize(Type t) {
  switch (t) {
    case Type::f32: case Type::f16: case Type::bf16: case Type::q8_0: case Type::q4_0:
    case Type::q4_1: case Type::q5_0: case Type::q5_1: case Type::q4_k: case Type::q5_k: case Type::q6_k:
      return true;
    default:
      return false;
  }
}

bool can_quantize(Type t) { return can_dequantize(t); }

void dequantize_row(Type t, const void* src, float* dst, int64_t n) {
  check_len(t, n);
  switch (t) {
    case Type::f32: std::copy_n(static_cast<const float*>(src), n, dst); return;
    case Type::f16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = f16_to_f32(s[i]);
      return;
    }
    case Type::bf16: {
      const auto* s = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(s[i]);
      return;
    }
    case Type::q4_0: deq_q4_0(static_cast<const block_q4_0*>(src), dst, n / 32); return;
    case Type::q4_1: deq_q4_1(static_cast<const block_q4_1*>(src), dst, n / 32); return;
    case Type::q5_0: deq_q5_0(static_cast<const block_q5_0*>(src), dst, n / 32); return;
    case Type::q5_1: deq_q5_1(static_cast<const block_q5_1*>(src), dst, n / 32); return;
    case Type::q8_0: deq_q8_0(static_cast<const block_q8_0*>(src), dst, n / 32); return;
    case Type::q4_k: dequantize_q4_k(static_cast<const block_q4_k*>(src), dst, n / 256); return;
    case Type::q5_k: dequantize_q5_k(static_cast<const block_q5_k*>(src), dst, n / 256); return;
    case Type::q6_k: dequantize_q6_k(static_cast<const block_q6_k*>(src), dst, n / 256); return;
    default: fail(ErrorKind::unsupported, "cannot dequantize tensor type {}", name(t));
  }
}

void quantize_row(Type t, const float* src, void* dst, int64_t n) {
  check_len(t, n);
  switch (t) {
    case Type::f32: std::copy_n(src, n, static_cast<float*>(dst)); return;
    case Type::f16: {
      auto* d = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_f16(src[i]);
      return;
    }
    case Type::bf16: {
      auto* d = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(src[i]);
      return;
    }
    case Type::q4_0: q_q4_0(src, static_cast<block_q4_0*>(dst), n / 32); return;
    case Type::q4_1: q_q4_1(src, static_cast<block_q4_1*>(dst), n / 32); return;
    case Type::q5_0: q_q5_0(src, static_cast<block_q5_0*>(dst), n / 32); return;
    case Type::q5_1: q_q5_1(src, static_cast<block_q5_1*>(dst), n / 32); return;
    case Type::q8_0: q_q8_0(src, static_cast<block_q8_0*>(dst), n / 32); return;
    case Type::q4_k: quantize_q4_k(src, static_cast<block_q4_k*>(dst), n / 256); return;
    case Type::q5_k: quantize_q5_k(src, static_cast<block_q5_k*>(dst), n / 256); return;
    case Type::q6_k: quantize_q6_k(src, static_cast<block_q6_k*>(dst), n / 256); return;
    default: fail(ErrorKind::unsupported, "cannot quantize to tensor type {}", name(t));
  }
}

}  // namespace ys::quant
