// Quantized block layouts exactly as ggml/GGUF store them (ggml-common.h), plus the
// half-precision conversions every kernel needs.
//
// A row of n elements of a block type is n / block_size consecutive blocks. Values:
//   q4_0: y = d * (q - 8),          q in 0..15 (low nibbles = elements 0..15, high = 16..31)
//   q4_1: y = d * q + m,            q in 0..15 (same nibble order)
//   q5_0: y = d * (q - 16),         q in 0..31: the q4 nibble plus bit j of qh (little-endian
//         32 bits) as bit 4 of element j
//   q5_1: y = d * q + m,            q in 0..31 (as q5_0)
//   q8_0: y = d * q,                q in -128..127
//   q8_1: as q8_0; s = d * sum(q)   (activation format of ggml; not a file type here)
//   q4_k: 256 = 8 sub-blocks of 32; 6-bit scale sc and min mn per sub-block packed in
//         scales[12]; y = d*sc*q - dmin*mn, q in 0..15 (64 elements per 32 bytes of qs:
//         low nibbles first sub-block, high nibbles the next)
//   q5_k: as q4_k with a fifth bit per element in qh (bit 2j / 2j+1 for pair j of sub-blocks)
//   q6_k: 16 sub-blocks of 16, int8 scale each; y = d*sc*(q - 32), q 6-bit (ql low 4 + qh 2)
//   q8_k: float d; y = d * q; bsums[i] = sum of q over elements 16i..16i+15
#pragma once

#include <cstdint>
#include <cstring>

namespace ys::quant {

inline constexpr int kQK = 32;    // elements per block of the 32-element types
inline constexpr int kQKK = 256;  // elements per K-quant super-block
inline constexpr int kKScaleBytes = 12;

struct block_q4_0 {
  uint16_t d;        // f16 scale
  uint8_t qs[16];    // nibbles
};
static_assert(sizeof(block_q4_0) == 18, "q4_0 block must be 18 bytes");

struct block_q4_1 {
  uint16_t d;        // f16 scale
  uint16_t m;        // f16 min
  uint8_t qs[16];
};
static_assert(sizeof(block_q4_1) == 20, "q4_1 block must be 20 bytes");

struct block_q5_0 {
  uint16_t d;        // f16 scale
  uint8_t qh[4];     // bit 4 of element j is bit j of this little-endian word
  uint8_t qs[16];    // low 4 bits, nibble order as q4_0
};
static_assert(sizeof(block_q5_0) == 22, "q5_0 block must be 22 bytes");

struct block_q5_1 {
  uint16_t d;        // f16 scale
  uint16_t m;        // f16 min
  uint8_t qh[4];
  uint8_t qs[16];
};
static_assert(sizeof(block_q5_1) == 24, "q5_1 block must be 24 bytes");

// The 32 high bits of a q5 block (qh may be unaligned).
inline uint32_t q5_high_bits(const uint8_t* qh) {
  return uint32_t(qh[0]) | uint32_t(qh[1]) << 8 | uint32_t(qh[2]) << 16 | uint32_t(qh[3]) << 24;
}

// Element j (0..31) of a q5 block, 0..31: nibble j of qs (q4 order) and bit j of qh.
inline int q5_value(const uint8_t* qs, uint32_t qh, int j) {
  const int nib = j < 16 ? qs[j] & 0xF : qs[j - 16] >> 4;
  return nib | static_cast<int>((qh >> j) & 1u) << 4;
}

struct block_q8_0 {
  uint16_t d;
  int8_t qs[32];
};
static_assert(sizeof(block_q8_0) == 34, "q8_0 block must be 34 bytes");

struct block_q8_1 {
  uint16_t d;
  uint16_t s;        // f16 of d * sum(qs)
  int8_t qs[32];
};
static_assert(sizeof(block_q8_1) == 36, "q8_1 block must be 36 bytes");

struct block_q4_k {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qs[128];
};
static_assert(sizeof(block_q4_k) == 144, "q4_k block must be 144 bytes");

struct block_q5_k {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleBytes];
  uint8_t qh[32];
  uint8_t qs[128];
};
static_assert(sizeof(block_q5_k) == 176, "q5_k block must be 176 bytes");

struct block_q6_k {
  uint8_t ql[128];
  uint8_t qh[64];
  int8_t scales[16];
  uint16_t d;
};
static_assert(sizeof(block_q6_k) == 210, "q6_k block must be 210 bytes");

struct block_q8_k {
  float d;
  int8_t qs[256];
  int16_t bsums[16];
};
static_assert(sizeof(block_q8_k) == 292, "q8_k block must be 292 bytes");

// ---- half precision ---------------------------------------------------------------
inline float bits_to_f32(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint32_t f32_to_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

// IEEE binary16 -> binary32, exact (subnormals, inf, NaN payload kept).
inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t man = h & 0x3FFu;
  if (exp == 0x1F) return bits_to_f32(sign | 0x7F800000u | (man << 13));
  if (exp == 0) {
    if (man == 0) return bits_to_f32(sign);
    int e = -1;  // normalise the subnormal
    do {
      man <<= 1;
      ++e;
    } while ((man & 0x400u) == 0);
    man &= 0x3FFu;
    return bits_to_f32(sign | (static_cast<uint32_t>(112 - e) << 23) | (man << 13));
  }
  return bits_to_f32(sign | ((exp + 112) << 23) | (man << 13));
}

// binary32 -> binary16, round to nearest even; overflow -> inf; NaN stays NaN (quiet).
inline uint16_t f32_to_f16(float f) {
  const uint32_t u = f32_to_bits(f);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t exp = (u >> 23) & 0xFFu;
  uint32_t man = u & 0x7FFFFFu;
  if (exp == 0xFF) {
    if (man == 0) return static_cast<uint16_t>(sign | 0x7C00u);
    return static_cast<uint16_t>(sign | 0x7E00u | (man >> 13));
  }
  const int e = static_cast<int>(exp) - 127 + 15;
  if (e >= 31) return static_cast<uint16_t>(sign | 0x7C00u);
  if (e <= 0) {  // subnormal half (or zero)
    if (e < -10) return static_cast<uint16_t>(sign);
    man |= 0x800000u;
    const int shift = 14 - e;
    uint32_t half = man >> shift;
    const uint32_t rem = man & ((1u << shift) - 1u);
    const uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = (static_cast<uint32_t>(e) << 10) | (man >> 13);
  const uint32_t rem = man & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) ++half;  // may carry into inf: correct
  return static_cast<uint16_t>(sign | half);
}

inline float bf16_to_f32(uint16_t h) { return bits_to_f32(static_cast<uint32_t>(h) << 16); }

// binary32 -> bfloat16, round to nearest even; NaN stays NaN (quiet bit set).
inline uint16_t f32_to_bf16(float f) {
  const uint32_t u = f32_to_bits(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);
  const uint32_t bias = 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>((u + bias) >> 16);
}

// The 6-bit scale and min of sub-block j (0..7) of a q4_k / q5_k super-block.
inline void k_scale_min(int j, const uint8_t* q, uint8_t& sc, uint8_t& mn) {
  if (j < 4) {
    sc = q[j] & 63;
    mn = q[j + 4] & 63;
  } else {
    sc = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    mn = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

}  // namespace ys::quant
