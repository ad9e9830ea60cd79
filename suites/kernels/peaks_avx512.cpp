// The inner loops of the compute peaks (this file alone is built with AVX-512 flags and
// only called when the CPU has them; see peaks.cpp).
#include <immintrin.h>

#include <cstdint>

namespace ys::kernels::detail {

// 12 independent accumulators hide the fma latency on two ports.
double fma_loop_avx512(int64_t iters) {
  __m512 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(float(i) * 1e-3f);
  const __m512 m = _mm512_set1_ps(0.999999f), a = _mm512_set1_ps(1e-7f);
  for (int64_t it = 0; it < iters; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, a);
    __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]));
  }
  __m512 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, acc[i]);
  alignas(64) float o[16];
  _mm512_store_ps(o, s);
  volatile float sink = o[0] + o[15];
  (void)sink;
  return double(iters) * 12 * 16 * 2;
}

double vnni_loop_avx512(int64_t iters) {
  __m512i acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_epi32(i);
  const __m512i u = _mm512_set1_epi8(3), s = _mm512_set1_epi8(-2);
  for (int64_t it = 0; it < iters; ++it) {
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_dpbusd_epi32(acc[i], u, s);
    __asm__ volatile("" : "+v"(acc[0]), "+v"(acc[1]), "+v"(acc[2]), "+v"(acc[3]), "+v"(acc[4]), "+v"(acc[5]));
  }
  __m512i t = acc[0];
  for (int i = 1; i < 12; ++i) t = _mm512_add_epi32(t, acc[i]);
  alignas(64) int32_t o[16];
  _mm512_store_si512(o, t);
  volatile int32_t sink = o[0] + o[15];
  (void)sink;
  return double(iters) * 12 * 64 * 2;
}

}  // namespace ys::kernels::detail
