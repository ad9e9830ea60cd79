// Internal: SIMD kernels shared by the AVX2 and AVX-512 variants. Included by exactly
// kernels_avx2.cpp and kernels_avx512.cpp, each compiled with its own ISA flags; every
// function here is `static` or a template on the TU-local policy P (internal linkage), so
// the two compilations never merge. P provides dot_us(u8x32, s8x32) -> 8 x int32 partial
// sums (any split: only their total is used, and it is exact).
//
// Each kernel reproduces the canonical routine of kernels.h bit for bit: integer block
// sums are exact, the float steps are the same fused multiply-adds on the same lanes,
// and the final reduction is reduce8 / reduce16.
#pragma once

#include "engine/backend/cpu/act_quant.h"
#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/simd_blocks.h"
#include "engine/backend/cpu/simd_kdeq.h"
#include "engine/quant/blocks.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

namespace ys::cpu::simd {

using quant::block_q4_0;
using quant::block_q4_1;
using quant::block_q8_0;

// reduce8 of kernels.h on a vector.
static inline float hsum8(__m256 a) {
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));  // a_i + a_{i+4}
  const __m128 s2 = _mm_add_ps(s, _mm_movehl_ps(s, s));                                  // (a0+a4)+(a2+a6), ...
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

// Eight vectors of 8 int32 partial sums -> one vector of their 8 totals (exact).
static inline __m256i sum8x8(const __m256i* v) {
  const __m256i s01 = _mm256_hadd_epi32(v[0], v[1]), s23 = _mm256_hadd_epi32(v[2], v[3]);
  const __m256i s45 = _mm256_hadd_epi32(v[4], v[5]), s67 = _mm256_hadd_epi32(v[6], v[7]);
  const __m256i t0 = _mm256_hadd_epi32(s01, s23), t1 = _mm256_hadd_epi32(s45, s67);
  return _mm256_add_epi32(_mm256_permute2x128_si256(t0, t1, 0x20), _mm256_permute2x128_si256(t0, t1, 0x31));
}



enum class BlockKind { q4_0, q4_1, q8_0, q5_0, q5_1 };

constexpr int kRowPrefetchBytes = 4096;

template <BlockKind K>
struct BlockOf;
template <>
struct BlockOf<BlockKind::q4_0> { using type = block_q4_0; };
template <>
struct BlockOf<BlockKind::q4_1> { using type = block_q4_1; };
template <>
struct BlockOf<BlockKind::q8_0> { using type = block_q8_0; };
template <>
struct BlockOf<BlockKind::q5_0> { using type = quant::block_q5_0; };
template <>
struct BlockOf<BlockKind::q5_1> { using type = quant::block_q5_1; };
template <BlockKind K>
constexpr bool kHasMin = K == BlockKind::q4_1 || K == BlockKind::q5_1;
template <BlockKind K>
constexpr bool kFiveBit = K == BlockKind::q5_0 || K == BlockKind::q5_1;

// One group of (up to) 8 weight blocks of a row against T tokens; acc[t] updated.
// Blocks b >= n are zero weights against the zero padding of the activations.
template <BlockKind K>
static inline __m128i gather_d(const typename BlockOf<K>::type* wb) {
  return _mm_setr_epi16(static_cast<int16_t>(wb[0].d), static_cast<int16_t>(wb[1].d), static_cast<int16_t>(wb[2].d),
                        static_cast<int16_t>(wb[3].d), static_cast<int16_t>(wb[4].d), static_cast<int16_t>(wb[5].d),
                        static_cast<int16_t>(wb[6].d), static_cast<int16_t>(wb[7].d));
}
template <class B>
static inline __m128i gather_m(const B* wb) {
  return _mm_setr_epi16(static_cast<int16_t>(wb[0].m), static_cast<int16_t>(wb[1].m), static_cast<int16_t>(wb[2].m),
                        static_cast<int16_t>(wb[3].m), static_cast<int16_t>(wb[4].m), static_cast<int16_t>(wb[5].m),
                        static_cast<int16_t>(wb[6].m), static_cast<int16_t>(wb[7].m));
}

// One group of (up to) 8 weight blocks of a row against T tokens; acc[t] updated.
// Blocks b >= n are zero weights against the zero padding of the activations.
// kFull (n == 8) gathers the f16 scales with register inserts instead of through memory.
template <class P, BlockKind K, int T, bool kFull>
static inline void group8(const typename BlockOf<K>::type* wb, int n, const ActQ8x8* const* xg, __m256* acc) {
  __m256i wq[8];
  __m256 vdw, vmw = _mm256_setzero_ps();
  if constexpr (kFull) {
    #pragma GCC unroll 16
    for (int b = 0; b < 8; ++b) {
      if constexpr (K == BlockKind::q8_0) wq[b] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb[b].qs));
      else wq[b] = unpack_nibbles(wb[b].qs);
      if constexpr (kFiveBit<K>) wq[b] = _mm256_or_si256(wq[b], q5_high_bytes(wb[b].qh));
    }
    vdw = _mm256_cvtph_ps(gather_d<K>(wb));
    if constexpr (kHasMin<K>) vmw = _mm256_cvtph_ps(gather_m(wb));
  } else {
    alignas(16) uint16_t dh[8] = {}, mh[8] = {};
    #pragma GCC unroll 16
    for (int b = 0; b < 8; ++b) {
      if (b >= n) {
        wq[b] = _mm256_setzero_si256();
        continue;
      }
      dh[b] = wb[b].d;
      if constexpr (K == BlockKind::q8_0) {
        wq[b] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wb[b].qs));
      } else {
        wq[b] = unpack_nibbles(wb[b].qs);
        if constexpr (kFiveBit<K>) wq[b] = _mm256_or_si256(wq[b], q5_high_bytes(wb[b].qh));
        if constexpr (kHasMin<K>) mh[b] = wb[b].m;
      }
    }
    vdw = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(dh)));
    if constexpr (kHasMin<K>) vmw = _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(mh)));
  }
  __m256i wabs[8];
  if constexpr (K == BlockKind::q8_0)
    #pragma GCC unroll 16
    for (int b = 0; b < 8; ++b) wabs[b] = _mm256_abs_epi8(wq[b]);
  #pragma GCC unroll 16
  for (int t = 0; t < T; ++t) {
    const ActQ8x8& g = *xg[t];
    __m256i v[8];
    #pragma GCC unroll 16
    for (int b = 0; b < 8; ++b) {
      if constexpr (!kFull) {
        if (b >= n) {  // zero weights: skip the work, the sum is 0
          v[b] = _mm256_setzero_si256();
          continue;
        }
      }
      const __m256i xq = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.qs[b]));
      if constexpr (K == BlockKind::q8_0) v[b] = P::dot_us(wabs[b], _mm256_sign_epi8(xq, wq[b]));
      else v[b] = P::dot_us(wq[b], xq);
    }
    __m256i isum = sum8x8(v);
    const __m256i vsx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(g.sum));
    if constexpr (K == BlockKind::q4_0) isum = _mm256_sub_epi32(isum, _mm256_slli_epi32(vsx, 3));
    if constexpr (K == BlockKind::q5_0) isum = _mm256_sub_epi32(isum, _mm256_slli_epi32(vsx, 4));
    const __m256 vdx = _mm256_loadu_ps(g.d);
    __m256 a = acc[t];
    if constexpr (kHasMin<K>) a = _mm256_fmadd_ps(_mm256_mul_ps(vmw, vdx), _mm256_cvtepi32_ps(vsx), a);
    acc[t] = _mm256_fmadd_ps(_mm256_mul_ps(vdw, vdx), _mm256_cvtepi32_ps(isum), a);
  }
}

template <class P, BlockKind K, int T>
static void block_tile(const WeightView& w, const uint8_t* act, size_t stride, int64_t t0, int64_t r0, int64_t r1,
                       float* y) {
  using B = typename BlockOf<K>::type;
  const int64_t nb = w.cols / 32;
  for (int64_t r = r0; r < r1; ++r) {
    const B* wb = static_cast<const B*>(w.data) + r * nb;
    __m256 acc[T];
    const ActQ8x8* xg[T];
    #pragma GCC unroll 16
    for (int t = 0; t < T; ++t) {
      acc[t] = _mm256_setzero_ps();
      xg[t] = reinterpret_cast<const ActQ8x8*>(act + (t0 + t) * stride);
    }
    int64_t g = 0;
    for (; g + 8 <= nb; g += 8) {
      // The row streams from memory once per token: request the lines a few groups ahead.
#pragma GCC unroll 8
      for (int off = 0; off < int(8 * sizeof(B)); off += 64)
        _mm_prefetch(reinterpret_cast<const char*>(wb + g) + kRowPrefetchBytes + off, _MM_HINT_T0);
      group8<P, K, T, true>(wb + g, 8, xg, acc);
      #pragma GCC unroll 16
      for (int t = 0; t < T; ++t) ++xg[t];
    }
    if (g < nb) group8<P, K, T, false>(wb + g, static_cast<int>(nb - g), xg, acc);
    #pragma GCC unroll 16
    for (int t = 0; t < T; ++t) y[(t0 + t) * w.rows + r] = hsum8(acc[t]);
  }
}

// Tokens in tiles of 4 (one weight read serves 4 tokens), then the remainder.
template <class P, BlockKind K>
static void block_rows(const WeightView& w, const void* act, size_t stride, int64_t n_tok, int64_t r0, int64_t r1,
                       float* y) {
  const auto* a = static_cast<const uint8_t*>(act);
  int64_t t = 0;
  for (; t + 4 <= n_tok; t += 4) block_tile<P, K, 4>(w, a, stride, t, r0, r1, y);
  switch (n_tok - t) {
    case 3: block_tile<P, K, 3>(w, a, stride, t, r0, r1, y); break;
    case 2: block_tile<P, K, 2>(w, a, stride, t, r0, r1, y); break;
    case 1: block_tile<P, K, 1>(w, a, stride, t, r0, r1, y); break;
    default: break;
  }
}

// ---- f32 / f16 / bf16 weights: 16 lanes as two 8-float vectors -----------------------
enum class FloatKind { f32, f16, bf16 };

template <FloatKind K>
static inline __m256 load8(const void* base, int64_t k) {
  if constexpr (K == FloatKind::f32) {
    return _mm256_loadu_ps(static_cast<const float*>(base) + k);
  } else {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(static_cast<const uint16_t*>(base) + k));
    if constexpr (K == FloatKind::f16) return _mm256_cvtph_ps(h);
    else return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
}

template <FloatKind K>
static inline float scalar_at(const void* base, int64_t k) {
  if constexpr (K == FloatKind::f32) return static_cast<const float*>(base)[k];
  else if constexpr (K == FloatKind::f16) return quant::f16_to_f32(static_cast<const uint16_t*>(base)[k]);
  else return quant::bf16_to_f32(static_cast<const uint16_t*>(base)[k]);
}

template <FloatKind K, int T>
static void float_tile(const WeightView& w, const uint8_t* act, size_t stride, int64_t t0, int64_t r0, int64_t r1,
                       float* y) {
  constexpr size_t kElem = K == FloatKind::f32 ? 4 : 2;
  const int64_t cols = w.cols, full = cols / 16 * 16;
  for (int64_t r = r0; r < r1; ++r) {
    const void* wr = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r) * kElem * cols;
    const float* x[T];
    __m256 lo[T], hi[T];
    #pragma GCC unroll 16
    for (int t = 0; t < T; ++t) {
      x[t] = reinterpret_cast<const float*>(act + (t0 + t) * stride);
      lo[t] = _mm256_setzero_ps();
      hi[t] = _mm256_setzero_ps();
    }
    for (int64_t k = 0; k < full; k += 16) {
      const __m256 w0 = load8<K>(wr, k), w1 = load8<K>(wr, k + 8);
      #pragma GCC unroll 16
      for (int t = 0; t < T; ++t) {
        lo[t] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x[t] + k), lo[t]);
        hi[t] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x[t] + k + 8), hi[t]);
      }
    }
    if (full < cols) {  // tail: zero-padded to 16 (fma(0, 0, acc) == acc)
      alignas(32) float wt[16] = {};
      for (int64_t k = full; k < cols; ++k) wt[k - full] = scalar_at<K>(wr, k);
      #pragma GCC unroll 16
      for (int t = 0; t < T; ++t) {
        alignas(32) float xt[16] = {};
        std::memcpy(xt, x[t] + full, static_cast<size_t>(cols - full) * sizeof(float));
        lo[t] = _mm256_fmadd_ps(_mm256_load_ps(wt), _mm256_load_ps(xt), lo[t]);
        hi[t] = _mm256_fmadd_ps(_mm256_load_ps(wt + 8), _mm256_load_ps(xt + 8), hi[t]);
      }
    }
    #pragma GCC unroll 16
    for (int t = 0; t < T; ++t) y[(t0 + t) * w.rows + r] = hsum8(_mm256_add_ps(lo[t], hi[t]));
  }
}

template <FloatKind K>
static void float_rows(const WeightView& w, const void* act, size_t stride, int64_t n_tok, int64_t r0, int64_t r1,
                       float* y) {
  const auto* a = static_cast<const uint8_t*>(act);
  int64_t t = 0;
  for (; t + 4 <= n_tok; t += 4) float_tile<K, 4>(w, a, stride, t, r0, r1, y);
  switch (n_tok - t) {
    case 3: float_tile<K, 3>(w, a, stride, t, r0, r1, y); break;
    case 2: float_tile<K, 2>(w, a, stride, t, r0, r1, y); break;
    case 1: float_tile<K, 1>(w, a, stride, t, r0, r1, y); break;
    default: break;
  }
}

// ---- dequantization for the f32-activation path (bits of quant::dequantize_row) -------
// 8 unsigned bytes -> 8 floats
static inline __m256 u8x8_to_ps(__m128i bytes) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes)); }

template <BlockKind K>
static void deq_rows(const void* row, float* y, int64_t cols) {
  using B = typename BlockOf<K>::type;
  const B* b = static_cast<const B*>(row);
  const int64_t nb = cols / 32;
  for (int64_t i = 0; i < nb; ++i, y += 32) {
    const __m256 d = _mm256_set1_ps(_cvtsh_ss(b[i].d));
    if constexpr (K == BlockKind::q8_0) {
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs));
      const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
      const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
      #pragma GCC unroll 16
      for (int j = 0; j < 4; ++j)
        _mm256_storeu_ps(y + 8 * j, _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(parts[j]))));
    } else {
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qs));
      const __m128i m4 = _mm_set1_epi8(0x0F);
      const __m128i lo = _mm_and_si128(q, m4), hi = _mm_and_si128(_mm_srli_epi16(q, 4), m4);
      const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
      #pragma GCC unroll 16
      for (int j = 0; j < 4; ++j) {
        __m256 v = u8x8_to_ps(parts[j]);
        if constexpr (K == BlockKind::q4_0) {
          v = _mm256_mul_ps(d, _mm256_sub_ps(v, _mm256_set1_ps(8.0f)));
        } else {
          v = _mm256_add_ps(_mm256_mul_ps(d, v), _mm256_set1_ps(_cvtsh_ss(b[i].m)));
        }
        _mm256_storeu_ps(y + 8 * j, v);
      }
    }
  }
}

template <class P>
static KernelSet make_kernels() {
  KernelSet s;
  s.f32 = float_rows<FloatKind::f32>;
  s.f16 = float_rows<FloatKind::f16>;
  s.bf16 = float_rows<FloatKind::bf16>;
  s.q4_0 = block_rows<P, BlockKind::q4_0>;
  s.q4_1 = block_rows<P, BlockKind::q4_1>;
  s.q8_0 = block_rows<P, BlockKind::q8_0>;
  s.q5_0 = block_rows<P, BlockKind::q5_0>;
  s.q5_1 = block_rows<P, BlockKind::q5_1>;
  s.deq_q4_0 = deq_rows<BlockKind::q4_0>;
  s.deq_q4_1 = deq_rows<BlockKind::q4_1>;
  s.deq_q8_0 = deq_rows<BlockKind::q8_0>;
  s.deq_q4_k = deq_k45_rows<false>;
  s.deq_q5_k = deq_k45_rows<true>;
  s.deq_q6_k = deq_q6k_rows;
  return s;
}

}  // namespace ys::cpu::simd
