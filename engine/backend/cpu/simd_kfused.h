// Internal: K-quant weights (q4_k, q5_k, q6_k) x f32 activations, dequantized in registers
// with AVX-512, for few tokens (decode). Included by kernels_avx512.cpp only.
//
// Same bits as dequantizing the row with engine/quant/quant_k.cpp (q4_k/q5_k:
// (d*sc)*q - dmin*mn; q6_k: (d*sc)*(q-32), each step rounded as there) and running the
// canonical f32 routine of kernels.h: super-block elements 32j..32j+15 feed lanes 0..15,
// then 32j+16..32j+31, in increasing order, so every lane sees its elements in order.
// q4_k/q5_k use a 16-entry table per sub-block (the values a nibble can stand for, two
// tables for q5_k chosen per element by its qh bit); q6_k converts its 6-bit values.
#pragma once

#include "engine/backend/cpu/simd_f32_panel.h"
#include "engine/backend/cpu/simd_kquants.h"
#include "engine/quant/blocks.h"

#include <immintrin.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>

// GCC 12's false positive on its own _mm512_undefined_* (see simd_f32_panel.h).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace ys::cpu::simd {

template <KKind K>
struct KBlockOf;
template <>
struct KBlockOf<KKind::q4_k> { using type = quant::block_q4_k; };
template <>
struct KBlockOf<KKind::q5_k> { using type = quant::block_q5_k; };
template <>
struct KBlockOf<KKind::q6_k> { using type = quant::block_q6_k; };

// q6_k: elements 32j..32j+31 (h = j/4, g = j%4) -> wl, wh.
static inline void kdeq32_q6(const quant::block_q6_k& b, int j, float d, __m512& wl, __m512& wh) {
  const int h = j / 4, g = j % 4;
  const __m256i ql = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * h + 32 * (g & 1)));
  const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * h));
  const __m256i lo = _mm256_and_si256(g >= 2 ? _mm256_srli_epi16(ql, 4) : ql, _mm256_set1_epi8(0x0F));
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * g), _mm256_set1_epi8(3));
  const __m256i q = _mm256_sub_epi8(_mm256_or_si256(lo, _mm256_slli_epi16(hi, 4)), _mm256_set1_epi8(32));
  const __m512 d0 = _mm512_set1_ps(d * static_cast<float>(b.scales[8 * h + 2 * g]));
  const __m512 d1 = _mm512_set1_ps(d * static_cast<float>(b.scales[8 * h + 2 * g + 1]));
  wl = _mm512_mul_ps(d0, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_castsi256_si128(q))));
  wh = _mm512_mul_ps(d1, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_extracti128_si256(q, 1))));
}

// q4_k / q5_k: sub-block j (the low nibbles of qs[32(j/2)..] for even j, high for odd).
template <KKind K>
static inline void kdeq32_q45(const typename KBlockOf<K>::type& b, int j, float d, float dmin, __m512& wl,
                              __m512& wh) {
  uint8_t sc, mn;
  quant::k_scale_min(j, b.scales, sc, mn);
  const __m512 vd = _mm512_set1_ps(d * static_cast<float>(sc)), vm = _mm512_set1_ps(dmin * static_cast<float>(mn));
  const __m512 v = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512 t0 = _mm512_sub_ps(_mm512_mul_ps(vd, v), vm);
  const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * (j / 2)));
  const __m256i qn = (j & 1) ? _mm256_srli_epi16(q, 4) : q;  // vpermps reads bits 3:0 only
  const __m512i il = _mm512_cvtepu8_epi32(_mm256_castsi256_si128(qn));
  const __m512i ih = _mm512_cvtepu8_epi32(_mm256_extracti128_si256(qn, 1));
  if constexpr (K == KKind::q4_k) {
    wl = _mm512_permutexvar_ps(il, t0);
    wh = _mm512_permutexvar_ps(ih, t0);
  } else {
    const __m512 t1 = _mm512_sub_ps(_mm512_mul_ps(vd, _mm512_add_ps(v, _mm512_set1_ps(16.0f))), vm);
    const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh));
    const __mmask32 hb = _mm256_test_epi8_mask(qh, _mm256_set1_epi8(static_cast<char>(1 << j)));
    wl = _mm512_mask_permutexvar_ps(_mm512_permutexvar_ps(il, t0), static_cast<__mmask16>(hb), il, t1);
    wh = _mm512_mask_permutexvar_ps(_mm512_permutexvar_ps(ih, t0), static_cast<__mmask16>(hb >> 16), ih, t1);
  }
}

// Row dequantization with the same helpers (the panel path of larger batches).
template <KKind K>
static void kdeq_rows16(const void* row, float* y, int64_t cols) {
  const auto* blk = static_cast<const typename KBlockOf<K>::type*>(row);
  for (int64_t s = 0; s < cols / 256; ++s) {
    const float d = _cvtsh_ss(blk[s].d);
    float dmin = 0.0f;
    if constexpr (K != KKind::q6_k) dmin = _cvtsh_ss(blk[s].dmin);
    for (int j = 0; j < 8; ++j, y += 32) {
      _mm_prefetch(reinterpret_cast<const char*>(blk + s) + kPrefetchAhead + 32 * j, _MM_HINT_T0);
      __m512 wl, wh;
      if constexpr (K == KKind::q6_k) kdeq32_q6(blk[s], j, d, wl, wh);
      else kdeq32_q45<K>(blk[s], j, d, dmin, wl, wh);
      _mm512_storeu_ps(y, wl);
      _mm512_storeu_ps(y + 16, wh);
    }
  }
}

// R rows x T tokens, all super-blocks of the rows.
template <KKind K, int R, int T>
static inline void kfused_block(const uint8_t* w0, size_t row_bytes, int64_t nsb, const float* const* x, float* y,
                                int64_t ys) {
  using B = typename KBlockOf<K>::type;
  const size_t ahead = stream_ahead(R * row_bytes);
  __m512 acc[R][T];
  zero_acc<R, T>(acc);
  for (int64_t s = 0; s < nsb; ++s) {
    const B* blk[R];
    float d[R], dmin[R];
    #pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      blk[r] = reinterpret_cast<const B*>(w0 + size_t(r) * row_bytes) + s;
      d[r] = _cvtsh_ss(blk[r]->d);
      if constexpr (K != KKind::q6_k) dmin[r] = _cvtsh_ss(blk[r]->dmin);
      else dmin[r] = 0.0f;
    }
    for (int j = 0; j < 8; ++j) {
      __m512 xl[T], xh[T];
      #pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        xl[t] = _mm512_loadu_ps(x[t] + 256 * s + 32 * j);
        xh[t] = _mm512_loadu_ps(x[t] + 256 * s + 32 * j + 16);
      }
      #pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        // The stream ahead, one line per sub-block (covers the 144..210-byte block).
        _mm_prefetch(reinterpret_cast<const char*>(blk[r]) + ahead + 32 * j, _MM_HINT_T0);
        __m512 wl, wh;
        if constexpr (K == KKind::q6_k) kdeq32_q6(*blk[r], j, d[r], wl, wh);
        else kdeq32_q45<K>(*blk[r], j, d[r], dmin[r], wl, wh);
        fma_pair<T>(acc[r], wl, wh, xl, xh);
      }
    }
  }
  store_hsums<R, T>(acc, y, ys);
}

template <KKind K>
struct KFusedBlocks {
  template <int R, int T>
  static void run(const uint8_t* w0, size_t rb, int64_t nsb, const float* const* x, float* y, int64_t ys) {
    kfused_block<K, R, T>(w0, rb, nsb, x, y, ys);
  }
};

// RowsFn (act = f32 rows); the driver of simd_f32_panel.h.
template <KKind K>
static void kfused_rows(const WeightView& w, const void* act, size_t stride, int64_t n_tok, int64_t r0, int64_t r1,
                        float* y) {
  const int64_t nsb = w.cols / 256;
  fused_tiles<KFusedBlocks<K>>(w, size_t(nsb) * sizeof(typename KBlockOf<K>::type), nsb, act, stride, n_tok, r0, r1,
                               y);
}

}  // namespace ys::cpu::simd

#pragma GCC diagnostic pop
