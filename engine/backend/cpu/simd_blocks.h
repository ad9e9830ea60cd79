// Internal: AVX2 unpacking of 32-element weight blocks into bytes, shared by the row
// kernels (simd_kernels.h) and the VNNI GEMM (gemm_vnni.cpp). Every function is static
// inline, for TUs compiled with AVX2 or AVX-512 flags.
#pragma once

#include "engine/quant/blocks.h"

#include <immintrin.h>

#include <cstdint>

namespace ys::cpu::simd {

// A q4/q5 block's 16 bytes of nibbles -> 32 bytes 0..15 in element order (low nibbles =
// elements 0..15 in the low half, high nibbles = elements 16..31).
static inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m = _mm_set1_epi8(0x0F);
  const __m128i lo = _mm_and_si128(q, m), hi = _mm_and_si128(_mm_srli_epi16(q, 4), m);
  return _mm256_set_m128i(hi, lo);
}

// Bit j of a q5 block's qh -> 0x10 in byte j (byte order of unpack_nibbles: elements 0..31).
static inline __m256i q5_high_bytes(const uint8_t* qh) {
  const __m256i bits = _mm256_set1_epi32(static_cast<int32_t>(quant::q5_high_bits(qh)));
  const __m256i pick = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,  //
                                        2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const __m256i mask = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  const __m256i sel = _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(bits, pick), mask), mask);
  return _mm256_and_si256(sel, _mm256_set1_epi8(0x10));
}

}  // namespace ys::cpu::simd
