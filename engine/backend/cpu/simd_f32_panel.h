// Internal: the AVX-512 f32 GEMM on row panels, included by kernels_avx512.cpp only
// (compiled with AVX-512 flags; every function is static).
//
// y[t*ys + r] = reduce16(acc) with acc[l] = fma(w[r][k], x[t][k], acc[l]) over k = l mod 16
// in order: exactly the canonical f32 routine of kernels.h, one zmm accumulator per
// (row, token), so the bits do not depend on how rows and tokens are blocked. The tail
// k >= cols/16*16 uses masked fma (lanes past the end are left untouched, as in the scalar
// routine). Register blocking: 4 rows x 6 tokens = 24 accumulators; each 16-wide step
// loads 4 weight vectors and 6 activation vectors for 24 fmas. The loops over R and T are
// force-unrolled so that the accumulators live in registers (GCC -O2 keeps them on the
// stack otherwise).
#pragma once

#include "engine/backend/cpu/kernels.h"
#include "engine/backend/cpu/simd_kernels.h"

#include <immintrin.h>

#include <cstddef>
#include <algorithm>
#include <cstdint>

// GCC 12 reports its own _mm512_undefined_* inside the 512->256 extract intrinsics as
// uninitialized (a known false positive); silenced for this header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace ys::cpu::simd {

// reduce16 of kernels.h: reduce8(a_i + a_{i+8}).
static inline float hsum16(__m512 a) {
  const __m512 swapped = _mm512_shuffle_f32x4(a, a, 0x4E);  // upper 256 bits moved down
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(a), _mm512_castps512_ps256(swapped));
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));  // h_i + h_{i+4}
  const __m128 s2 = _mm_add_ps(s, _mm_movehl_ps(s, s));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_movehdup_ps(s2)));
}

// reduce16 of four accumulators at once -> {reduce16(a), reduce16(b), reduce16(c),
// reduce16(d)}: the same additions as hsum16 (lanes i + i+8, then i + i+4, then
// (0+2, 1+3), then their sum), done on four accumulators per instruction.
static inline __m128 hsum16x4(__m512 a, __m512 b, __m512 c, __m512 d) {
  // [a0..7 + a8..15, b...] and [c..., d...]
  const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
  const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xEE));
  // quarters: s_a (a'_i + a'_{i+4}), s_b, s_c, s_d
  const __m512 s = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xDD));
  const __m512 t = _mm512_add_ps(s, _mm512_permute_ps(s, 0x4E));  // lanes 0,1: s0+s2, s1+s3
  const __m512 u = _mm512_add_ps(t, _mm512_permute_ps(t, 0xB1));  // lane 0: (s0+s2)+(s1+s3)
  return _mm512_castps512_ps128(_mm512_maskz_compress_ps(0x1111, u));
}

// R rows (w, row stride = cols) x T tokens (x[t], each cols floats) -> y[t*ys + r].
template <int R, int T>
static inline void panel_block(const float* w, int64_t cols, const float* const* x, float* y, int64_t ys) {
  __m512 acc[R][T];
  #pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
    #pragma GCC unroll 8
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
  const int64_t full = cols / 16 * 16;
  for (int64_t k = 0; k < full; k += 16) {
    __m512 wv[R];
    #pragma GCC unroll 8
    for (int r = 0; r < R; ++r) wv[r] = _mm512_loadu_ps(w + r * cols + k);
    #pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const __m512 xv = _mm512_loadu_ps(x[t] + k);
      #pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][t] = _mm512_fmadd_ps(wv[r], xv, acc[r][t]);
    }
  }
  if (full < cols) {
    const __mmask16 m = static_cast<__mmask16>((1u << (cols - full)) - 1u);
    __m512 wv[R];
    #pragma GCC unroll 8
    for (int r = 0; r < R; ++r) wv[r] = _mm512_maskz_loadu_ps(m, w + r * cols + full);
    #pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const __m512 xv = _mm512_maskz_loadu_ps(m, x[t] + full);
      #pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][t] = _mm512_mask3_fmadd_ps(wv[r], xv, acc[r][t], m);
    }
  }
  #pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
    if constexpr (R == 4) {
      _mm_storeu_ps(y + t * ys, hsum16x4(acc[0][t], acc[1][t], acc[2][t], acc[3][t]));
    } else {
      #pragma GCC unroll 8
      for (int r = 0; r < R; ++r) y[t * ys + r] = hsum16(acc[r][t]);
    }
  }
}

template <int T>
static inline void panel_rows(const float* w, int64_t n_rows, int64_t cols, const float* const* x, float* y,
                              int64_t ys) {
  int64_t r = 0;
  for (; r + 4 <= n_rows; r += 4) panel_block<4, T>(w + r * cols, cols, x, y + r, ys);
  switch (n_rows - r) {
    case 3: panel_block<3, T>(w + r * cols, cols, x, y + r, ys); break;
    case 2: panel_block<2, T>(w + r * cols, cols, x, y + r, ys); break;
    case 1: panel_block<1, T>(w + r * cols, cols, x, y + r, ys); break;
    default: break;
  }
}

// Rows [0, n_rows) of the f32 panel w (row-major, `cols` per row) against n_tok tokens
// (token t at x + t*x_stride floats): y[t*ys + r].
static void f32_panel(const float* w, int64_t n_rows, int64_t cols, const float* x, int64_t x_stride, int64_t n_tok,
                      float* y, int64_t ys) {
  const float* xt[6];
  int64_t t = 0;
  for (; t + 6 <= n_tok; t += 6) {
    for (int i = 0; i < 6; ++i) xt[i] = x + (t + i) * x_stride;
    panel_rows<6>(w, n_rows, cols, xt, y + t * ys, ys);
  }
  const int64_t rest = n_tok - t;
  for (int i = 0; i < rest; ++i) xt[i] = x + (t + i) * x_stride;
  switch (rest) {
    case 5: panel_rows<5>(w, n_rows, cols, xt, y + t * ys, ys); break;
    case 4: panel_rows<4>(w, n_rows, cols, xt, y + t * ys, ys); break;
    case 3: panel_rows<3>(w, n_rows, cols, xt, y + t * ys, ys); break;
    case 2: panel_rows<2>(w, n_rows, cols, xt, y + t * ys, ys); break;
    case 1: panel_rows<1>(w, n_rows, cols, xt, y + t * ys, ys); break;
    default: break;
  }
}

// RowsFn for f32 weights on top of the panel kernel.
static void f32_rows_panel(const WeightView& w, const void* act, size_t stride, int64_t n_tok, int64_t r0, int64_t r1,
                           float* y) {
  const float* wr = static_cast<const float*>(w.data) + r0 * w.cols;
  const int64_t xs = static_cast<int64_t>(stride / sizeof(float));
  const auto* x = static_cast<const float*>(act);
  constexpr int64_t kChunk = 60;  // tokens per pass (a multiple of 6) over the rows (cache blocking; same bits)
  for (int64_t t = 0; t < n_tok; t += kChunk)
    f32_panel(wr, r1 - r0, w.cols, x + t * xs, xs, std::min(kChunk, n_tok - t), y + t * w.rows + r0, w.rows);
}

// ---- quantized weights x f32 activations, dequantized in registers -------------------
// The same bits as dequantizing the row with quant::dequantize_row (d*q, or d*q + m for
// q4_1, rounded separately) and running the f32 routine: block b's elements 0..15 feed
// lanes 0..15 first, then its elements 16..31. Block kinds and types: simd_kernels.h.

// One block -> its elements 0..15 (wl) and 16..31 (wh) as floats.
template <BlockKind K>
static inline void deq_block16(const typename BlockOf<K>::type& blk, __m512& wl, __m512& wh) {
  const __m512 d = _mm512_cvtph_ps(_mm256_set1_epi16(static_cast<int16_t>(blk.d)));
  if constexpr (K == BlockKind::q8_0) {
    const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.qs));
    const __m128i q1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.qs + 16));
    wl = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q0)));
    wh = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q1)));
  } else if constexpr (kFiveBit<K>) {
    // 32 possible values in two tables (bit 4 clear / set), chosen per element by qh.
    const __m512 v = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 v16 = _mm512_add_ps(v, _mm512_set1_ps(16.0f));
    __m512 t0, t1;
    if constexpr (K == BlockKind::q5_0) {
      t0 = _mm512_mul_ps(d, _mm512_sub_ps(v, _mm512_set1_ps(16.0f)));
      t1 = _mm512_mul_ps(d, v);
    } else {
      const __m512 m = _mm512_cvtph_ps(_mm256_set1_epi16(static_cast<int16_t>(blk.m)));
      t0 = _mm512_add_ps(_mm512_mul_ps(d, v), m);
      t1 = _mm512_add_ps(_mm512_mul_ps(d, v16), m);
    }
    const uint32_t qh = quant::q5_high_bits(blk.qh);
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.qs));
    const __m512i il = _mm512_cvtepu8_epi32(q), ih = _mm512_cvtepu8_epi32(_mm_srli_epi16(q, 4));
    wl = _mm512_mask_permutexvar_ps(_mm512_permutexvar_ps(il, t0), static_cast<__mmask16>(qh), il, t1);
    wh = _mm512_mask_permutexvar_ps(_mm512_permutexvar_ps(ih, t0), static_cast<__mmask16>(qh >> 16), ih, t1);
  } else {
    // The 16 values a nibble can stand for, d*(v-8) (q4_0) or d*v + m (q4_1) with the
    // roundings of quant::dequantize_row, then looked up: vpermps reads only bits 3:0 of
    // each index, so the bytes need no masking (the high nibbles are shifted down first).
    const __m512 v = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512 table;
    if constexpr (K == BlockKind::q4_0) {
      table = _mm512_mul_ps(d, _mm512_sub_ps(v, _mm512_set1_ps(8.0f)));
    } else {
      const __m512 m = _mm512_cvtph_ps(_mm256_set1_epi16(static_cast<int16_t>(blk.m)));
      table = _mm512_add_ps(_mm512_mul_ps(d, v), m);
    }
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.qs));
    wl = _mm512_permutexvar_ps(_mm512_cvtepu8_epi32(q), table);
    wh = _mm512_permutexvar_ps(_mm512_cvtepu8_epi32(_mm_srli_epi16(q, 4)), table);
  }
}

// Bytes of the weight stream requested ahead of the rows being read (about the
// bandwidth x latency of one core).
constexpr size_t kPrefetchAhead = 8192;

// The prefetch distance for R rows of row_bytes read together: a whole number of such row
// groups, at least kPrefetchAhead bytes (rows are contiguous, so this walks the stream).
static inline size_t stream_ahead(size_t group) { return group * ((kPrefetchAhead + group - 1) / group); }

template <int R, int T>
static inline void zero_acc(__m512 (&acc)[R][T]) {
  #pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
    #pragma GCC unroll 8
    for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
}

// One row's accumulators over 32 elements: acc[t] += wl * xl[t], then wh * xh[t].
template <int T>
static inline void fma_pair(__m512* acc, __m512 wl, __m512 wh, const __m512* xl, const __m512* xh) {
  #pragma GCC unroll 8
  for (int t = 0; t < T; ++t) {
    acc[t] = _mm512_fmadd_ps(wl, xl[t], acc[t]);
    acc[t] = _mm512_fmadd_ps(wh, xh[t], acc[t]);
  }
}

// y[t*ys + r] = reduce16(acc[r][t]).
template <int R, int T>
static inline void store_hsums(const __m512 (&acc)[R][T], float* y, int64_t ys) {
  #pragma GCC unroll 8
  for (int t = 0; t < T; ++t)
    #pragma GCC unroll 8
    for (int r = 0; r < R; ++r) y[t * ys + r] = hsum16(acc[r][t]);
}

template <BlockKind K, int R, int T>
static inline void fused_block(const uint8_t* w0, size_t row_bytes, int64_t nb, const float* const* x, float* y,
                               int64_t ys) {
  using B = typename BlockOf<K>::type;
  const size_t ahead = stream_ahead(R * row_bytes);
  __m512 acc[R][T];
  zero_acc<R, T>(acc);
  for (int64_t b = 0; b < nb; ++b) {
    __m512 xl[T], xh[T];
    #pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      xl[t] = _mm512_loadu_ps(x[t] + 32 * b);
      xh[t] = _mm512_loadu_ps(x[t] + 32 * b + 16);
    }
    #pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const B& blk = reinterpret_cast<const B*>(w0 + size_t(r) * row_bytes)[b];
      // Weights stream from memory once per token: ask early for the same block a few
      // row groups on (rows are contiguous, so this walks the stream ahead).
      _mm_prefetch(reinterpret_cast<const char*>(&blk) + ahead, _MM_HINT_T0);
      __m512 wl, wh;
      deq_block16<K>(blk, wl, wh);
      fma_pair<T>(acc[r], wl, wh, xl, xh);
    }
  }
  store_hsums<R, T>(acc, y, ys);
}

// Row dequantization with 16-wide vectors (the panel path of larger batches).
template <BlockKind K>
static void deq_rows16(const void* row, float* y, int64_t cols) {
  const auto* blk = static_cast<const typename BlockOf<K>::type*>(row);
  for (int64_t b = 0; b < cols / 32; ++b, y += 32) {
    // The rows of a panel are consecutive in memory: keep the stream requested ahead.
    _mm_prefetch(reinterpret_cast<const char*>(blk + b) + kPrefetchAhead, _MM_HINT_T0);
    __m512 wl, wh;
    deq_block16<K>(blk[b], wl, wh);
    _mm512_storeu_ps(y, wl);
    _mm512_storeu_ps(y + 16, wh);
  }
}

// The driver of the fused kernels: rows [r0, r1) in groups of 4 (then single rows) x
// tokens in tiles of up to 4. Kernel::run<R, T>(rows, row_bytes, units, x, y, ys) computes
// R rows x T tokens over `units` blocks (or super-blocks) of row_bytes / units bytes.
template <class Kernel, int T>
static void fused_tile(const WeightView& w, size_t rb, int64_t units, const float* const* x, int64_t r0, int64_t r1,
                       float* y) {
  const auto* base = static_cast<const uint8_t*>(w.data);
  int64_t r = r0;
  for (; r + 4 <= r1; r += 4) Kernel::template run<4, T>(base + size_t(r) * rb, rb, units, x, y + r, w.rows);
  for (; r < r1; ++r) Kernel::template run<1, T>(base + size_t(r) * rb, rb, units, x, y + r, w.rows);
}

template <class Kernel>
static void fused_tiles(const WeightView& w, size_t rb, int64_t units, const void* act, size_t stride, int64_t n_tok,
                        int64_t r0, int64_t r1, float* y) {
  const auto* a = static_cast<const uint8_t*>(act);
  const float* xt[4];
  for (int64_t t = 0; t < n_tok; t += 4) {
    const int64_t n = std::min<int64_t>(4, n_tok - t);
    for (int64_t i = 0; i < n; ++i) xt[i] = reinterpret_cast<const float*>(a + size_t(t + i) * stride);
    float* yt = y + t * w.rows;
    switch (n) {
      case 4: fused_tile<Kernel, 4>(w, rb, units, xt, r0, r1, yt); break;
      case 3: fused_tile<Kernel, 3>(w, rb, units, xt, r0, r1, yt); break;
      case 2: fused_tile<Kernel, 2>(w, rb, units, xt, r0, r1, yt); break;
      default: fused_tile<Kernel, 1>(w, rb, units, xt, r0, r1, yt); break;
    }
  }
}

template <BlockKind K>
struct FusedBlocks {
  template <int R, int T>
  static void run(const uint8_t* w0, size_t rb, int64_t nb, const float* const* x, float* y, int64_t ys) {
    fused_block<K, R, T>(w0, rb, nb, x, y, ys);
  }
};

// RowsFn for quantized weights with f32 activations (act = f32 rows).
template <BlockKind K>
static void fused_rows(const WeightView& w, const void* act, size_t stride, int64_t n_tok, int64_t r0, int64_t r1,
                       float* y) {
  const int64_t nb = w.cols / 32;
  fused_tiles<FusedBlocks<K>>(w, size_t(nb) * sizeof(typename BlockOf<K>::type), nb, act, stride, n_tok, r0, r1, y);
}

}  // namespace ys::cpu::simd

#pragma GCC diagnostic pop
