// f32 -> bf16 with AVX-512F (this file alone is built with AVX-512 flags and only called
// when the CPU has them): quant::f32_to_bf16's integer rounding, 16 lanes at a time.
#include "engine/backend/cpu/onednn_convert.h"

#include "engine/quant/blocks.h"

#include <immintrin.h>

namespace ys::cpu::detail {

void to_bf16_avx512(const float* x, uint16_t* out, int64_t n) {
  const __m512i bias = _mm512_set1_epi32(0x7FFF), one = _mm512_set1_epi32(1);
  const __m512i abs_mask = _mm512_set1_epi32(0x7FFFFFFF), inf = _mm512_set1_epi32(0x7F800000);
  const __m512i quiet = _mm512_set1_epi32(0x40);
  int64_t k = 0;
  for (; k + 16 <= n; k += 16) {
    const __m512i u = _mm512_castps_si512(_mm512_loadu_ps(x + k));
    const __m512i hi = _mm512_srli_epi32(u, 16);
    // (u + 0x7FFF + ((u >> 16) & 1)) >> 16: round to nearest even.
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(bias, _mm512_and_si512(hi, one))), 16);
    const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, abs_mask), inf);
    r = _mm512_mask_or_epi32(r, nan, hi, quiet);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + k), _mm512_cvtepi32_epi16(r));
  }
  for (; k < n; ++k) out[k] = quant::f32_to_bf16(x[k]);
}

}  // namespace ys::cpu::detail
