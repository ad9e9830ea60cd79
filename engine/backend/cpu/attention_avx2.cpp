// AVX2 + FMA (+ F16C for f16 caches) variant of the attention routine (this file alone is compiled with those
// flags; chosen at run time by attention.cpp). The 16 canonical lanes are two ymm.
#include "engine/backend/cpu/attention_simd.h"

#include <immintrin.h>

namespace ys::cpu {
namespace {

struct Avx2 {
  struct V {
    __m256 lo, hi;
  };
  struct M {
    __m256i lo, hi;
  };
  static constexpr int kKeys = 4;
  static constexpr int kQkRegs = 4;
  static constexpr int kPvChunks = 2;
  static constexpr int kPvHeads = 2;

  static V zero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
  static V set1(float x) { return {_mm256_set1_ps(x), _mm256_set1_ps(x)}; }
  static V load(const float* p) { return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
  static V loadz(const float* p, M m) { return {_mm256_maskload_ps(p, m.lo), _mm256_maskload_ps(p + 8, m.hi)}; }
  static V load_h(const uint16_t* p) {
    return {_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))),
            _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 8)))};
  }
  static void store(float* p, V v) { _mm256_storeu_ps(p, v.lo), _mm256_storeu_ps(p + 8, v.hi); }
  static void storem(float* p, M m, V v) { _mm256_maskstore_ps(p, m.lo, v.lo), _mm256_maskstore_ps(p + 8, m.hi, v.hi); }
  static V fma(V a, V b, V c) { return {_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)}; }
  static V mul(V a, V b) { return {_mm256_mul_ps(a.lo, b.lo), _mm256_mul_ps(a.hi, b.hi)}; }
  static V sub(V a, V b) { return {_mm256_sub_ps(a.lo, b.lo), _mm256_sub_ps(a.hi, b.hi)}; }
  static V max(V a, V b) { return {_mm256_max_ps(a.lo, b.lo), _mm256_max_ps(a.hi, b.hi)}; }
  static V select(M m, V a, V b) {
    return {_mm256_blendv_ps(b.lo, a.lo, _mm256_castsi256_ps(m.lo)),
            _mm256_blendv_ps(b.hi, a.hi, _mm256_castsi256_ps(m.hi))};
  }
  static M mask(int n) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), cnt = _mm256_set1_epi32(n);
    return {_mm256_cmpgt_epi32(cnt, lane), _mm256_cmpgt_epi32(cnt, _mm256_add_epi32(lane, _mm256_set1_epi32(8)))};
  }
  static float hmax(V v) {
    const __m256 m8 = _mm256_max_ps(v.lo, v.hi);
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_shuffle_ps(m4, m4, 1));
    return _mm_cvtss_f32(m4);
  }

  static __m256 exp8(__m256 x) {
    using namespace attn_exp_const;
    const __m256 valid = _mm256_cmp_ps(x, _mm256_set1_ps(kMin), _CMP_GE_OQ);
    x = _mm256_min_ps(x, _mm256_setzero_ps());
    const __m256 n =
        _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(kLog2e)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fmadd_ps(n, _mm256_set1_ps(-kLn2Hi), x);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(-kLn2Lo), r);
    __m256 p = _mm256_set1_ps(kC[7]);
    for (int i = 6; i >= 0; --i) p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(kC[i]));
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_and_ps(_mm256_mul_ps(p, _mm256_castsi256_ps(e)), valid);
  }
  static V exp(V x) { return {exp8(x.lo), exp8(x.hi)}; }

  // reduce16 of 4 accumulators: adds lanes (i, i+w), w = 8, 4, 2, 1; the result holds
  // keys 0, 2 in lanes 0, 1 and keys 1, 3 in lanes 4, 5.
  static void scores(const V* a, float scale, float* out) {
    __m256 h[4], t[2];
    for (int i = 0; i < 4; ++i) h[i] = _mm256_add_ps(a[i].lo, a[i].hi);
    for (int i = 0; i < 2; ++i)
      t[i] = _mm256_add_ps(_mm256_permute2f128_ps(h[2 * i], h[2 * i + 1], 0x20),
                           _mm256_permute2f128_ps(h[2 * i], h[2 * i + 1], 0x31));
    const __m256d x = _mm256_castps_pd(t[0]), y = _mm256_castps_pd(t[1]);
    const __m256 w =
        _mm256_add_ps(_mm256_castpd_ps(_mm256_unpacklo_pd(x, y)), _mm256_castpd_ps(_mm256_unpackhi_pd(x, y)));
    const __m256 r = _mm256_add_ps(_mm256_shuffle_ps(w, w, 0x88), _mm256_shuffle_ps(w, w, 0xDD));
    alignas(32) float f[8];
    _mm256_store_ps(f, r);
    out[0] = f[0] * scale, out[1] = f[4] * scale, out[2] = f[1] * scale, out[3] = f[5] * scale;
  }

  struct DSum {
    __m256d d[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
    void add(V e) {
      d[0] = _mm256_add_pd(d[0], _mm256_cvtps_pd(_mm256_castps256_ps128(e.lo)));
      d[1] = _mm256_add_pd(d[1], _mm256_cvtps_pd(_mm256_extractf128_ps(e.lo, 1)));
      d[2] = _mm256_add_pd(d[2], _mm256_cvtps_pd(_mm256_castps256_ps128(e.hi)));
      d[3] = _mm256_add_pd(d[3], _mm256_cvtps_pd(_mm256_extractf128_ps(e.hi, 1)));
    }
    double reduce() const {
      alignas(32) double h[8];
      _mm256_store_pd(h, _mm256_add_pd(d[0], d[2]));
      _mm256_store_pd(h + 4, _mm256_add_pd(d[1], d[3]));
      return ((h[0] + h[4]) + (h[2] + h[6])) + ((h[1] + h[5]) + (h[3] + h[7]));
    }
  };
};

}  // namespace

void attend_unit_avx2(const AttnUnit& u) { attn_simd::attend_unit<Avx2, float>(u); }
void attend_unit_avx2_h(const AttnUnit& u) { attn_simd::attend_unit<Avx2, uint16_t>(u); }

}  // namespace ys::cpu
