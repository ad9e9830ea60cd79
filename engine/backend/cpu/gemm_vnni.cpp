// AVX-512 VNNI GEMM (this file alone is compiled with AVX-512 flags; matmul.cpp calls it
// only when the CPU has them). See gemm_vnni.h for why the bits equal kernels_scalar.cpp.
#include "engine/backend/cpu/gemm_vnni.h"

#include "engine/backend/cpu/simd_blocks.h"

#include "engine/quant/blocks.h"

#include <immintrin.h>

#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace ys::cpu {
namespace {

using quant::block_q4_0;
using quant::block_q4_1;
using quant::block_q8_0;
using quant::block_q5_0;
using quant::block_q5_1;
using quant::Type;

// Per block of a tile: 8 x 64 bytes of activations, 16 dx, 16 float(xsum).
constexpr size_t kBlockBytes = 8 * 64 + 16 * 4 + 16 * 4;
constexpr int kRows = 4;  // rows computed together (independent dpbusd chains)

// Types whose blocks carry a min (y = d*q + m).
template <Type T>
constexpr bool kHasMin = T == Type::q4_1 || T == Type::q5_1;

template <Type T>
struct BlockT { using type = block_q8_0; };
template <>
struct BlockT<Type::q4_0> { using type = block_q4_0; };
template <>
struct BlockT<Type::q4_1> { using type = block_q4_1; };
template <>
struct BlockT<Type::q5_0> { using type = block_q5_0; };
template <>
struct BlockT<Type::q5_1> { using type = block_q5_1; };

// One row unpacked: signed bytes, per-block 128*sum(w), dw, mw.
// Sum of 32 unsigned bytes (exact).
inline int32_t sum_u8x32(__m256i v) {
  const __m256i s = _mm256_sad_epu8(v, _mm256_setzero_si256());  // 4 x 64-bit partial sums
  const __m128i t = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  return int32_t(_mm_cvtsi128_si64(t) + _mm_extract_epi64(t, 1));
}

template <Type T>
void unpack_row(const void* row, int64_t nb, int8_t* w, int32_t* wsum128, float* dw, float* mw) {
  for (int64_t b = 0; b < nb; ++b) {
    int8_t* o = w + b * 32;
    int32_t s = 0;  // sum of the 32 signed weights
    if constexpr (T == Type::q8_0) {
      const block_q8_0& blk = static_cast<const block_q8_0*>(row)[b];
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), q);
      s = sum_u8x32(_mm256_xor_si256(q, _mm256_set1_epi8(char(0x80)))) - 128 * 32;  // q + 128 is unsigned
      dw[b] = _cvtsh_ss(blk.d);
    } else {
      using B = typename BlockT<T>::type;
      const B& blk = static_cast<const B*>(row)[b];
      __m256i u = simd::unpack_nibbles(blk.qs);  // elements 0..31, 0..15
      if constexpr (T == Type::q5_0 || T == Type::q5_1) u = _mm256_or_si256(u, simd::q5_high_bytes(blk.qh));  // 0..31
      const int off = T == Type::q4_0 ? 8 : T == Type::q5_0 ? 16 : 0;
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(o), _mm256_sub_epi8(u, _mm256_set1_epi8(char(off))));
      s = sum_u8x32(u) - 32 * off;
      dw[b] = _cvtsh_ss(blk.d);
      if constexpr (kHasMin<T>) mw[b] = _cvtsh_ss(blk.m);
    }
    wsum128[b] = 128 * s;
  }
}

// Integer sums of R rows for every block of one tile: isum[r][b] = 16 lanes (tokens).
template <int R>
void tile_isums(const int8_t* const* w, const int32_t* const* wsum128, const uint8_t* tile, int64_t nb,
                __m512i* isum /* [R][nb] */) {
  for (int64_t b = 0; b < nb; ++b) {
    const __m512i* xq = reinterpret_cast<const __m512i*>(tile + b * kBlockBytes);
    __m512i a0[R], a1[R];
    #pragma GCC unroll 16
    for (int r = 0; r < R; ++r) a0[r] = a1[r] = _mm512_setzero_si512();
    #pragma GCC unroll 16
    for (int j = 0; j < 8; j += 2) {
      const __m512i x0 = _mm512_load_si512(xq + j), x1 = _mm512_load_si512(xq + j + 1);
      #pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        int32_t w0, w1;
        std::memcpy(&w0, w[r] + b * 32 + 4 * j, 4);
        std::memcpy(&w1, w[r] + b * 32 + 4 * j + 4, 4);
        a0[r] = _mm512_dpbusd_epi32(a0[r], x0, _mm512_set1_epi32(w0));
        a1[r] = _mm512_dpbusd_epi32(a1[r], x1, _mm512_set1_epi32(w1));
      }
    }
    #pragma GCC unroll 16
    for (int r = 0; r < R; ++r)
      isum[r * nb + b] = _mm512_sub_epi32(_mm512_add_epi32(a0[r], a1[r]), _mm512_set1_epi32(wsum128[r][b]));
  }
}

// The canonical float steps for one row and one tile; writes 16 outputs.
template <Type T>
inline __m512 tile_step(const __m512i& isum, float dw, float mw, const uint8_t* blk, __m512 a) {
  const __m512 dx = _mm512_load_ps(reinterpret_cast<const float*>(blk + 512));
  if constexpr (kHasMin<T>) {
    const __m512 xs = _mm512_load_ps(reinterpret_cast<const float*>(blk + 576));
    a = _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(mw), dx), xs, a);
  }
  return _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(dw), dx), _mm512_cvtepi32_ps(isum), a);
}

// The canonical float steps for one row and one tile; writes 16 outputs. Block b goes to
// accumulator b % 8 (the main loop walks 8 blocks at a time so they stay in registers).
template <Type T>
void tile_floats(const __m512i* isum, const float* dw, const float* mw, const uint8_t* tile, int64_t nb, int64_t t0,
                 int64_t rows, int64_t r, float* y) {
  __m512 acc[8];
#pragma GCC unroll 16
  for (int i = 0; i < 8; ++i) acc[i] = _mm512_setzero_ps();
  int64_t b = 0;
  for (; b + 8 <= nb; b += 8) {
#pragma GCC unroll 16
    for (int i = 0; i < 8; ++i)
      acc[i] = tile_step<T>(isum[b + i], dw[b + i], kHasMin<T> ? mw[b + i] : 0.0f, tile + (b + i) * kBlockBytes, acc[i]);
  }
#pragma GCC unroll 16
  for (int i = 0; i < 8; ++i)
    if (b + i < nb)
      acc[i] = tile_step<T>(isum[b + i], dw[b + i], kHasMin<T> ? mw[b + i] : 0.0f, tile + (b + i) * kBlockBytes, acc[i]);
  const __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(acc[0], acc[4]), _mm512_add_ps(acc[2], acc[6])),
                                 _mm512_add_ps(_mm512_add_ps(acc[1], acc[5]), _mm512_add_ps(acc[3], acc[7])));
  alignas(64) float out[16];
  _mm512_store_ps(out, s);
#pragma GCC unroll 16
  for (int t = 0; t < 16; ++t) y[(t0 + t) * rows + r] = out[t];
}

template <Type T>
size_t row_bytes_of(int64_t nb) {
  return sizeof(typename BlockT<T>::type) * size_t(nb);
}

template <Type T, int R>
void rows_chunk(const WeightView& wv, const uint8_t* tiles, int64_t n_tiles, int64_t r, float* y) {
  const int64_t nb = wv.cols / 32;
  const size_t tb = vnni_tile_bytes(wv.cols);
  thread_local struct Scratch {
    int8_t* w = nullptr;
    size_t cap = 0;
    ~Scratch() { std::free(w); }
  } sc;
  const size_t need = size_t(R) * size_t(nb) * (32 + 4 + 4 + 4) + size_t(R) * size_t(nb) * 64 + 64;
  if (sc.cap < need) {
    std::free(sc.w);
    sc.w = static_cast<int8_t*>(std::aligned_alloc(64, (need + 63) / 64 * 64));
    sc.cap = need;
  }
  __m512i* isum = reinterpret_cast<__m512i*>(sc.w);
  int8_t* wbase = sc.w + size_t(R) * size_t(nb) * 64;
  int8_t* w[R];
  int32_t* ws[R];
  float *dw[R], *mw[R];
  #pragma GCC unroll 16
  for (int i = 0; i < R; ++i) {
    w[i] = wbase + size_t(i) * size_t(nb) * 44;
    ws[i] = reinterpret_cast<int32_t*>(w[i] + nb * 32);
    dw[i] = reinterpret_cast<float*>(w[i] + nb * 36);
    mw[i] = reinterpret_cast<float*>(w[i] + nb * 40);
    const uint8_t* row = static_cast<const uint8_t*>(wv.data) + size_t(r + i) * row_bytes_of<T>(nb);
    unpack_row<T>(row, nb, w[i], ws[i], dw[i], mw[i]);
  }
  const int8_t* const* wc = w;
  const int32_t* const* wsc = ws;
  for (int64_t tile = 0; tile < n_tiles; ++tile) {
    const uint8_t* tp = tiles + size_t(tile) * tb;
    tile_isums<R>(wc, wsc, tp, nb, isum);
    #pragma GCC unroll 16
    for (int i = 0; i < R; ++i) tile_floats<T>(isum + i * nb, dw[i], mw[i], tp, nb, tile * 16, wv.rows, r + i, y);
  }
}

template <Type T>
void gemm_rows(const WeightView& w, const uint8_t* tiles, int64_t n_tiles, int64_t r0, int64_t r1, float* y) {
  int64_t r = r0;
  for (; r + kRows <= r1; r += kRows) rows_chunk<T, kRows>(w, tiles, n_tiles, r, y);
  for (; r < r1; ++r) rows_chunk<T, 1>(w, tiles, n_tiles, r, y);
}

}  // namespace

size_t vnni_tile_bytes(int64_t cols) { return size_t(cols / 32) * kBlockBytes; }

bool vnni_gemm_supports(Type t) {
  return t == Type::q4_0 || t == Type::q4_1 || t == Type::q8_0 || t == Type::q5_0 || t == Type::q5_1;
}

void vnni_pack_tile(const uint8_t* act, size_t act_stride, int64_t tile, int64_t cols, uint8_t* out) {
  const int64_t nb = cols / 32;
  #pragma GCC unroll 16
  for (int t = 0; t < 16; ++t) {
    const ActQ8x8* g = reinterpret_cast<const ActQ8x8*>(act + size_t(tile * 16 + t) * act_stride);
    for (int64_t b = 0; b < nb; ++b) {
      const ActQ8x8& gg = g[b / 8];
      const int i = int(b % 8);
      uint8_t* blk = out + size_t(b) * kBlockBytes;
      #pragma GCC unroll 16
      for (int j = 0; j < 8; ++j)
        #pragma GCC unroll 16
        for (int k = 0; k < 4; ++k) blk[j * 64 + t * 4 + k] = uint8_t(int(gg.qs[i][4 * j + k]) + 128);
      reinterpret_cast<float*>(blk + 512)[t] = gg.d[i];
      reinterpret_cast<float*>(blk + 576)[t] = static_cast<float>(gg.sum[i]);
    }
  }
}

void vnni_gemm_rows(const WeightView& w, const uint8_t* tiles, int64_t n_tiles, int64_t r0, int64_t r1, float* y) {
  switch (w.type) {
    case Type::q4_0: gemm_rows<Type::q4_0>(w, tiles, n_tiles, r0, r1, y); break;
    case Type::q4_1: gemm_rows<Type::q4_1>(w, tiles, n_tiles, r0, r1, y); break;
    case Type::q8_0: gemm_rows<Type::q8_0>(w, tiles, n_tiles, r0, r1, y); break;
    case Type::q5_0: gemm_rows<Type::q5_0>(w, tiles, n_tiles, r0, r1, y); break;
    case Type::q5_1: gemm_rows<Type::q5_1>(w, tiles, n_tiles, r0, r1, y); break;
    default: break;
  }
}

}  // namespace ys::cpu
