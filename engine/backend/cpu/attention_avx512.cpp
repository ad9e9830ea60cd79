// AVX-512F variant of the attention routine (this file alone is compiled with those
// flags; chosen at run time by attention.cpp). One zmm holds the 16 canonical lanes.
#include "engine/backend/cpu/attention_simd.h"

#include <immintrin.h>

namespace ys::cpu {
namespace {

struct Avx512 {
  using V = __m512;
  using M = __mmask16;
  static constexpr int kKeys = 16;
  static constexpr int kQkRegs = 16;
  static constexpr int kPvChunks = 4;
  static constexpr int kPvHeads = 4;

  static V zero() { return _mm512_setzero_ps(); }
  static V set1(float x) { return _mm512_set1_ps(x); }
  static V load(const float* p) { return _mm512_loadu_ps(p); }
  static V loadz(const float* p, M m) { return _mm512_maskz_loadu_ps(m, p); }
  static V load_h(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static void store(float* p, V v) { _mm512_storeu_ps(p, v); }
  static void storem(float* p, M m, V v) { _mm512_mask_storeu_ps(p, m, v); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V mul(V a, V b) { return _mm512_mul_ps(a, b); }
  static V sub(V a, V b) { return _mm512_sub_ps(a, b); }
  static V max(V a, V b) { return _mm512_max_ps(a, b); }
  static V select(M m, V a, V b) { return _mm512_mask_blend_ps(m, b, a); }
  static M mask(int n) { return n >= 16 ? M(0xFFFF) : M((1u << n) - 1); }
  static float hmax(V v) { return _mm512_reduce_max_ps(v); }

  static V exp(V x) {
    using namespace attn_exp_const;
    const M valid = _mm512_cmp_ps_mask(x, set1(kMin), _CMP_GE_OQ);
    x = _mm512_min_ps(x, zero());
    const V n = _mm512_roundscale_ps(_mm512_mul_ps(x, set1(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    V r = fma(n, set1(-kLn2Hi), x);
    r = fma(n, set1(-kLn2Lo), r);
    V p = set1(kC[7]);
    for (int i = 6; i >= 0; --i) p = fma(p, r, set1(kC[i]));
    const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_maskz_mov_ps(valid, _mm512_mul_ps(p, _mm512_castsi512_ps(e)));
  }

  // reduce16 of 16 accumulators at once: each step adds lanes (i, i+w), w = 8, 4, 2, 1,
  // of two vectors' worth of keys; the result lane 4r+s holds key 4s+r.
  static void scores(const V* a, float scale, float* out) {
    V t[8], u[4], w[2];
    for (int i = 0; i < 8; ++i)
      t[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0x44),
                           _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0xEE));
    for (int i = 0; i < 4; ++i)
      u[i] = _mm512_add_ps(_mm512_shuffle_f32x4(t[2 * i], t[2 * i + 1], 0x88),
                           _mm512_shuffle_f32x4(t[2 * i], t[2 * i + 1], 0xDD));
    for (int i = 0; i < 2; ++i) {
      const __m512d x = _mm512_castps_pd(u[2 * i]), y = _mm512_castps_pd(u[2 * i + 1]);
      w[i] = _mm512_add_ps(_mm512_castpd_ps(_mm512_unpacklo_pd(x, y)), _mm512_castpd_ps(_mm512_unpackhi_pd(x, y)));
    }
    const V r = _mm512_add_ps(_mm512_shuffle_ps(w[0], w[1], 0x88), _mm512_shuffle_ps(w[0], w[1], 0xDD));
    const __m512i idx = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    store(out, _mm512_mul_ps(_mm512_permutexvar_ps(idx, r), set1(scale)));
  }

  struct DSum {
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    void add(V e) {
      lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
      hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1))));
    }
    double reduce() const {
      alignas(64) double h[8];
      _mm512_store_pd(h, _mm512_add_pd(lo, hi));
      return ((h[0] + h[4]) + (h[2] + h[6])) + ((h[1] + h[5]) + (h[3] + h[7]));
    }
  };
};

}  // namespace

void attend_unit_avx512(const AttnUnit& u) { attn_simd::attend_unit<Avx512, float>(u); }
void attend_unit_avx512_h(const AttnUnit& u) { attn_simd::attend_unit<Avx512, uint16_t>(u); }

}  // namespace ys::cpu
