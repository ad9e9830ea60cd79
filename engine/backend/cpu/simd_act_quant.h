// Internal: AVX-512 quantize_act_q8 (included by kernels_avx512.cpp only), the bits of
// act_quant.cpp's scalar routine: amax skips NaN like std::max(amax, |x|) (vmaxps returns
// its second operand, the running max, for a NaN), d = amax / 127, id = 1 / d (0 when d is
// 0), q = clamp(round-to-nearest-even(x * id), -127, 127). vcvtps2dq and lrintf round the
// same way and both give the "integer indefinite" (clamped to -127) for NaN and +-inf,
// the only products outside the int32 range.
#pragma once

#include "engine/backend/cpu/act_quant.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

// GCC 12's false positive on its own _mm512_undefined_* (see simd_f32_panel.h).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace ys::cpu::simd {

static void act_q8_avx512(const float* x, ActQ8x8* out, int64_t n) {
  const int64_t nb = n / 32;
  std::memset(static_cast<void*>(out), 0, static_cast<size_t>(act_q8_groups(n)) * sizeof(ActQ8x8));
  const __m512 sign = _mm512_set1_ps(-0.0f), zero = _mm512_setzero_ps();
  const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
  for (int64_t b = 0; b < nb; ++b) {
    ActQ8x8& g = out[b / 8];
    const int i = static_cast<int>(b % 8);
    const __m512 x0 = _mm512_loadu_ps(x + 32 * b), x1 = _mm512_loadu_ps(x + 32 * b + 16);
    const __m512 a0 = _mm512_max_ps(_mm512_andnot_ps(sign, x0), zero);  // NaN -> 0 (skipped)
    const __m512 a1 = _mm512_max_ps(_mm512_andnot_ps(sign, x1), zero);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(a0, a1));  // no NaN left: any order
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    const __m512 vid = _mm512_set1_ps(id);
    const __m512i q0 = _mm512_max_epi32(_mm512_min_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(x0, vid)), hi), lo);
    const __m512i q1 = _mm512_max_epi32(_mm512_min_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(x1, vid)), hi), lo);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(g.qs[i]), _mm512_cvtepi32_epi8(q0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(g.qs[i] + 16), _mm512_cvtepi32_epi8(q1));
    g.d[i] = d;
    g.sum[i] = _mm512_reduce_add_epi32(_mm512_add_epi32(q0, q1));  // exact integers
  }
}

}  // namespace ys::cpu::simd

#pragma GCC diagnostic pop
