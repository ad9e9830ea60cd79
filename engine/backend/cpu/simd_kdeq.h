// Internal: AVX2 dequantization of K-quant rows for the f32-activation path, with the bits
// of engine/quant/quant_k.cpp (same float operations in the same order: q4_k/q5_k
// y = (d*sc)*q - dmin*mn, q6_k y = (d*sc)*q). Included by simd_kernels.h only.
#pragma once

#include "engine/quant/blocks.h"

#include <immintrin.h>

#include <cstdint>
#include <type_traits>

namespace ys::cpu::simd {

// 32 small integers (bytes, int8 range) -> y[0..32) = a*float(v) - b (sub) or a*float(v) (no sub).
template <bool kSub, bool kSigned>
static inline void scale32(const uint8_t* v, float a, float b, float* y) {
  const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
#pragma GCC unroll 4
  for (int k = 0; k < 4; ++k) {
    const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(v + 8 * k));
    const __m256i i32 = kSigned ? _mm256_cvtepi8_epi32(bytes) : _mm256_cvtepu8_epi32(bytes);
    __m256 f = _mm256_mul_ps(va, _mm256_cvtepi32_ps(i32));
    if constexpr (kSub) f = _mm256_sub_ps(f, vb);
    _mm256_storeu_ps(y + 8 * k, f);
  }
}

// q4_k (kFive = false) and q5_k: sub-block j = 2c + half holds the low (half 0) or high
// (half 1) nibbles of qs[32c .. 32c+32); q5_k adds bit j of qh[l] as bit 4.
template <bool kFive>
static void deq_k45_rows(const void* row, float* y, int64_t cols) {
  using B = std::conditional_t<kFive, quant::block_q5_k, quant::block_q4_k>;
  const B* b = static_cast<const B*>(row);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  alignas(32) uint8_t v[64];
  for (int64_t i = 0; i < cols / 256; ++i, y += 256) {
    const float d = _cvtsh_ss(b[i].d), dmin = _cvtsh_ss(b[i].dmin);
    __m256i qh = _mm256_setzero_si256();
    if constexpr (kFive) qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qh));
    for (int c = 0; c < 4; ++c) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs + 32 * c));
      __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
      if constexpr (kFive) {
        const __m256i one = _mm256_set1_epi8(1);
        // bit (2c) and (2c+1) of each qh byte, moved to bit 4
        const __m256i b0 = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one);
        const __m256i b1 = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one);
        lo = _mm256_or_si256(lo, _mm256_slli_epi16(b0, 4));
        hi = _mm256_or_si256(hi, _mm256_slli_epi16(b1, 4));
      }
      _mm256_store_si256(reinterpret_cast<__m256i*>(v), lo);
      _mm256_store_si256(reinterpret_cast<__m256i*>(v + 32), hi);
      for (int half = 0; half < 2; ++half) {
        const int j = 2 * c + half;
        uint8_t sc, mn;
        quant::k_scale_min(j, b[i].scales, sc, mn);
        const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mn);
        scale32<true, false>(v + 32 * half, d1, m1, y + 32 * j);
      }
    }
  }
}

// q6_k: element e = 128h + 32g + l: low 4 bits from ql[64h + 32(g&1) + l] (high nibble for
// g >= 2), high 2 bits from qh[32h + l] >> 2g; q - 32; scale scales[8h + 2g + l/16].
static void deq_q6k_rows(const void* row, float* y, int64_t cols) {
  const auto* b = static_cast<const quant::block_q6_k*>(row);
  const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3), k32 = _mm256_set1_epi8(32);
  alignas(32) uint8_t v[32];
  for (int64_t i = 0; i < cols / 256; ++i, y += 256) {
    const float d = _cvtsh_ss(b[i].d);
    for (int h = 0; h < 2; ++h) {
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qh + 32 * h));
      for (int g = 0; g < 4; ++g) {
        const __m256i ql = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].ql + 64 * h + 32 * (g & 1)));
        const __m256i lo = _mm256_and_si256(g >= 2 ? _mm256_srli_epi16(ql, 4) : ql, m4);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * g), m2);
        const __m256i q = _mm256_sub_epi8(_mm256_or_si256(lo, _mm256_slli_epi16(hi, 4)), k32);  // [-32, 31]
        _mm256_store_si256(reinterpret_cast<__m256i*>(v), q);
        float* out = y + 128 * h + 32 * g;
        for (int s = 0; s < 2; ++s) {
          const float d1 = d * static_cast<float>(b[i].scales[8 * h + 2 * g + s]);
          const __m256 va = _mm256_set1_ps(d1);
#pragma GCC unroll 2
          for (int k = 0; k < 2; ++k) {
            const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(v + 16 * s + 8 * k));
            _mm256_storeu_ps(out + 16 * s + 8 * k, _mm256_mul_ps(va, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes))));
          }
        }
      }
    }
  }
}

}  // namespace ys::cpu::simd
