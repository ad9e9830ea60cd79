// The inner loops of the compute peaks (this file alone is built with AVX-512 flags and
// only called when the CPU has them; see peaks.cpp).
//
// 12 independent accumulators hide the latency on two ports. They are separate variables
// tied to registers by an empty asm each iteration (so the work is neither folded nor
// moved out of the loop); an array here was kept on the stack by GCC 12, and its stores,
// not the arithmetic units, set the rate (it read half the FMA peak).
#include <immintrin.h>

#include <cstdint>

namespace ys::kernels::detail {

namespace {

template <class V>
inline void keep(V& a0, V& a1, V& a2, V& a3, V& a4, V& a5, V& a6, V& a7, V& a8, V& a9, V& a10, V& a11) {
  __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5), "+v"(a6), "+v"(a7), "+v"(a8),
                   "+v"(a9), "+v"(a10), "+v"(a11));
}

}  // namespace

double fma_loop_avx512(int64_t iters) {
  const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
  __m512 a0 = _mm512_set1_ps(0.0f), a1 = _mm512_set1_ps(1e-3f), a2 = _mm512_set1_ps(2e-3f),
         a3 = _mm512_set1_ps(3e-3f), a4 = _mm512_set1_ps(4e-3f), a5 = _mm512_set1_ps(5e-3f),
         a6 = _mm512_set1_ps(6e-3f), a7 = _mm512_set1_ps(7e-3f), a8 = _mm512_set1_ps(8e-3f),
         a9 = _mm512_set1_ps(9e-3f), a10 = _mm512_set1_ps(1e-2f), a11 = _mm512_set1_ps(1.1e-2f);
  for (int64_t it = 0; it < iters; ++it) {
    a0 = _mm512_fmadd_ps(a0, m, a), a1 = _mm512_fmadd_ps(a1, m, a), a2 = _mm512_fmadd_ps(a2, m, a);
    a3 = _mm512_fmadd_ps(a3, m, a), a4 = _mm512_fmadd_ps(a4, m, a), a5 = _mm512_fmadd_ps(a5, m, a);
    a6 = _mm512_fmadd_ps(a6, m, a), a7 = _mm512_fmadd_ps(a7, m, a), a8 = _mm512_fmadd_ps(a8, m, a);
    a9 = _mm512_fmadd_ps(a9, m, a), a10 = _mm512_fmadd_ps(a10, m, a), a11 = _mm512_fmadd_ps(a11, m, a);
    keep(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
  }
  const __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                                 _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)),
                                               _mm512_add_ps(_mm512_add_ps(a8, a9), _mm512_add_ps(a10, a11))));
  alignas(64) float o[16];
  _mm512_store_ps(o, s);
  volatile float sink = o[0] + o[15];
  (void)sink;
  return double(iters) * 12 * 16 * 2;
}

double vnni_loop_avx512(int64_t iters) {
  const __m512i u = _mm512_set1_epi8(3), s = _mm512_set1_epi8(-2);
  __m512i a0 = _mm512_set1_epi32(0), a1 = _mm512_set1_epi32(1), a2 = _mm512_set1_epi32(2), a3 = _mm512_set1_epi32(3),
          a4 = _mm512_set1_epi32(4), a5 = _mm512_set1_epi32(5), a6 = _mm512_set1_epi32(6), a7 = _mm512_set1_epi32(7),
          a8 = _mm512_set1_epi32(8), a9 = _mm512_set1_epi32(9), a10 = _mm512_set1_epi32(10),
          a11 = _mm512_set1_epi32(11);
  for (int64_t it = 0; it < iters; ++it) {
    a0 = _mm512_dpbusd_epi32(a0, u, s), a1 = _mm512_dpbusd_epi32(a1, u, s), a2 = _mm512_dpbusd_epi32(a2, u, s);
    a3 = _mm512_dpbusd_epi32(a3, u, s), a4 = _mm512_dpbusd_epi32(a4, u, s), a5 = _mm512_dpbusd_epi32(a5, u, s);
    a6 = _mm512_dpbusd_epi32(a6, u, s), a7 = _mm512_dpbusd_epi32(a7, u, s), a8 = _mm512_dpbusd_epi32(a8, u, s);
    a9 = _mm512_dpbusd_epi32(a9, u, s), a10 = _mm512_dpbusd_epi32(a10, u, s), a11 = _mm512_dpbusd_epi32(a11, u, s);
    keep(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11);
  }
  const __m512i t = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),
                                     _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)),
                                                      _mm512_add_epi32(_mm512_add_epi32(a8, a9), _mm512_add_epi32(a10, a11))));
  alignas(64) int32_t o[16];
  _mm512_store_si512(o, t);
  volatile int32_t sink = o[0] + o[15];
  (void)sink;
  return double(iters) * 12 * 64 * 2;
}

}  // namespace ys::kernels::detail
