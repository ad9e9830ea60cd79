// AVX2 + FMA + F16C variant (this file alone is compiled with those flags; chosen at run
// time by matmul.cpp). Integer dots with maddubs (u8 x s8 -> pairs of int16, never
// saturating here: |pair| <= 2*128*127) and madd with ones.
#include "engine/backend/cpu/simd_kernels.h"
#include "engine/backend/cpu/simd_kquants.h"

namespace ys::cpu {
namespace {

struct Avx2Dot {
  static __m256i dot_us(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
  }
};

}  // namespace

const KernelSet& kernels_avx2() {
  static const KernelSet k = [] {
    KernelSet s = simd::make_kernels<Avx2Dot>();
    simd::add_kquant_kernels<Avx2Dot>(s);
    return s;
  }();
  return k;
}

}  // namespace ys::cpu
