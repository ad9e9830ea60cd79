// Internal: SIMD K-quant kernels (q4_k, q5_k, q6_k x q8_k), shared like simd_kernels.h by
// the AVX2 and AVX-512 variants: everything is static or a template on the TU-local P.
// Per super-block the integers isum / msum of kernels.h are computed exactly with
// maddubs (u8 x s8, pairs of int16 never saturate: 2*63*127 < 32767) and madd by the
// sub-block scale; the float steps are the canonical scalar fmas in the same order.
#pragma once

#include "engine/backend/cpu/kernels.h"
#include "engine/quant/blocks.h"

#include <immintrin.h>

#include <cmath>

namespace ys::cpu::simd {

using quant::block_q4_k;
using quant::block_q5_k;
using quant::block_q6_k;
using quant::block_q8_k;

static inline int32_t hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

// sc * (u . s) for 32 u8 x s8 products, as 8 int32 partial sums.
static inline __m256i scaled_dot(__m256i u, __m256i s, __m256i sc16) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), sc16);
}

static inline __m256i load32(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// q4_k (kFive = false) and q5_k (kFive = true): one super-block against T tokens.
template <class P, bool kFive, class B, int T>
static inline void q45_block(const B& b, const block_q8_k* const* xb, int64_t i, float* s) {
  uint8_t sc[8], mn[8];
  #pragma GCC unroll 16
  for (int j = 0; j < 8; ++j) quant::k_scale_min(j, b.scales, sc[j], mn[j]);
  const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
  __m256i acc[T];
  #pragma GCC unroll 16
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_si256();
  __m256i qh = _mm256_setzero_si256();
  if constexpr (kFive) qh = load32(b.qh);
  #pragma GCC unroll 16
  for (int c = 0; c < 4; ++c) {
    const __m256i q = load32(b.qs + 32 * c);
    __m256i lo = _mm256_and_si256(q, m4), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
    if constexpr (kFive) {
      lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4));
      hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4));
    }
    const __m256i s_lo = _mm256_set1_epi16(sc[2 * c]), s_hi = _mm256_set1_epi16(sc[2 * c + 1]);
    #pragma GCC unroll 16
    for (int t = 0; t < T; ++t) {
      const int8_t* xq = xb[t][i].qs + 64 * c;
      acc[t] = _mm256_add_epi32(acc[t], scaled_dot(lo, load32(xq), s_lo));
      acc[t] = _mm256_add_epi32(acc[t], scaled_dot(hi, load32(xq + 32), s_hi));
    }
  }
  const float d = _cvtsh_ss(b.d), dmin = _cvtsh_ss(b.dmin);
  #pragma GCC unroll 16
  for (int t = 0; t < T; ++t) {
    const block_q8_k& x = xb[t][i];
    int32_t msum = 0;
    #pragma GCC unroll 16
    for (int j = 0; j < 8; ++j) msum += mn[j] * (x.bsums[2 * j] + x.bsums[2 * j + 1]);
    const int32_t isum = hsum_epi32(acc[t]);
    s[t] = std::fma(d * x.d, static_cast<float>(isum), s[t]);
    if (dmin != 0.0f || msum != 0) s[t] = std::fma(-(dmin * x.d), static_cast<float>(msum), s[t]);
  }
}

template <class P, int T>
static inline void q6_block(const block_q6_k& b, const block_q8_k* const* xb, int64_t i, float* s) {
  const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(3);
  __m256i acc[T];
  #pragma GCC unroll 16
  for (int t = 0; t < T; ++t) acc[t] = _mm256_setzero_si256();
  #pragma GCC unroll 16
  for (int h = 0; h < 2; ++h) {
    const __m256i ql0 = load32(b.ql + 64 * h), ql1 = load32(b.ql + 64 * h + 32), qh = load32(b.qh + 32 * h);
    __m256i q[4];
    q[0] = _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, m3), 4));
    q[1] = _mm256_or_si256(_mm256_and_si256(ql1, m4),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m3), 4));
    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m3), 4));
    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m3), 4));
    #pragma GCC unroll 16
    for (int g = 0; g < 4; ++g) {
      const int sub = 8 * h + 2 * g;  // sub-blocks of 16: low 128 bits sub, high sub + 1
      const __m256i scv = _mm256_set_m128i(_mm_set1_epi16(b.scales[sub + 1]), _mm_set1_epi16(b.scales[sub]));
      #pragma GCC unroll 16
      for (int t = 0; t < T; ++t)
        acc[t] = _mm256_add_epi32(acc[t], scaled_dot(q[g], load32(xb[t][i].qs + 128 * h + 32 * g), scv));
    }
  }
  const float d = _cvtsh_ss(b.d);
  #pragma GCC unroll 16
  for (int t = 0; t < T; ++t) {
    const block_q8_k& x = xb[t][i];
    int32_t corr = 0;  // sum_s sc_s * 32 * bsum_s: the "- 32" of every 6-bit value
    #pragma GCC unroll 16
    for (int sb = 0; sb < 16; ++sb) corr += b.scales[sb] * x.bsums[sb];
    const int32_t isum = hsum_epi32(acc[t]) - 32 * corr;
    s[t] = std::fma(d * x.d, static_cast<float>(isum), s[t]);
  }
}

enum class KKind { q4_k, q5_k, q6_k };

template <class P, KKind K, int T>
static void k_tile(const WeightView& w, const uint8_t* act, size_t stride, int64_t t0, int64_t r0, int64_t r1,
                   float* y) {
  const int64_t nb = w.cols / 256;
  const block_q8_k* xb[T];
  #pragma GCC unroll 16
  for (int t = 0; t < T; ++t) xb[t] = reinterpret_cast<const block_q8_k*>(act + (t0 + t) * stride);
  for (int64_t r = r0; r < r1; ++r) {
    float s[T] = {};
    for (int64_t i = 0; i < nb; ++i) {
      if constexpr (K == KKind::q4_k) q45_block<P, false, block_q4_k, T>(static_cast<const block_q4_k*>(w.data)[r * nb + i], xb, i, s);
      else if constexpr (K == KKind::q5_k) q45_block<P, true, block_q5_k, T>(static_cast<const block_q5_k*>(w.data)[r * nb + i], xb, i, s);
      else q6_block<P, T>(static_cast<const block_q6_k*>(w.data)[r * nb + i], xb, i, s);
    }
    #pragma GCC unroll 16
    for (int t = 0; t < T; ++t) y[(t0 + t) * w.rows + r] = s[t];
  }
}

template <class P, KKind K>
static void k_rows(const WeightView& w, const void* act, size_t stride, int64_t n_tok, int64_t r0, int64_t r1,
                   float* y) {
  const auto* a = static_cast<const uint8_t*>(act);
  int64_t t = 0;
  for (; t + 4 <= n_tok; t += 4) k_tile<P, K, 4>(w, a, stride, t, r0, r1, y);
  switch (n_tok - t) {
    case 3: k_tile<P, K, 3>(w, a, stride, t, r0, r1, y); break;
    case 2: k_tile<P, K, 2>(w, a, stride, t, r0, r1, y); break;
    case 1: k_tile<P, K, 1>(w, a, stride, t, r0, r1, y); break;
    default: break;
  }
}

template <class P>
static void add_kquant_kernels(KernelSet& s) {
  s.q4_k = k_rows<P, KKind::q4_k>;
  s.q5_k = k_rows<P, KKind::q5_k>;
  s.q6_k = k_rows<P, KKind::q6_k>;
}

}  // namespace ys::cpu::simd
