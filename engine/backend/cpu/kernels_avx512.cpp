// AVX-512 (F, BW, VL, VNNI) variant (this file alone is compiled with those flags; chosen
// at run time by matmul.cpp). Integer dots with VNNI vpdpbusd on 256-bit vectors.
#include "engine/backend/cpu/simd_act_quant.h"
#include "engine/backend/cpu/simd_f32_panel.h"
#include "engine/backend/cpu/simd_kfused.h"
#include "engine/backend/cpu/simd_kernels.h"
#include "engine/backend/cpu/simd_kquants.h"

namespace ys::cpu {
namespace {

struct Avx512Dot {
  static __m256i dot_us(__m256i u, __m256i s) { return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s); }
};

}  // namespace

const KernelSet& kernels_avx512() {
  static const KernelSet k = [] {
    KernelSet s = simd::make_kernels<Avx512Dot>();
    simd::add_kquant_kernels<Avx512Dot>(s);
    s.f32 = simd::f32_rows_panel;
    s.f32_panel = simd::f32_panel;
    s.f32act_q4_0 = simd::fused_rows<simd::BlockKind::q4_0>;
    s.f32act_q4_1 = simd::fused_rows<simd::BlockKind::q4_1>;
    s.f32act_q8_0 = simd::fused_rows<simd::BlockKind::q8_0>;
    s.deq_q4_0 = simd::deq_rows16<simd::BlockKind::q4_0>;
    s.deq_q4_1 = simd::deq_rows16<simd::BlockKind::q4_1>;
    s.deq_q8_0 = simd::deq_rows16<simd::BlockKind::q8_0>;
    s.f32act_q5_0 = simd::fused_rows<simd::BlockKind::q5_0>;
    s.f32act_q5_1 = simd::fused_rows<simd::BlockKind::q5_1>;
    s.deq_q5_0 = simd::deq_rows16<simd::BlockKind::q5_0>;
    s.deq_q5_1 = simd::deq_rows16<simd::BlockKind::q5_1>;
    s.f32act_q4_k = simd::kfused_rows<simd::KKind::q4_k>;
    s.act_q8 = simd::act_q8_avx512;
    s.f32act_q5_k = simd::kfused_rows<simd::KKind::q5_k>;
    s.f32act_q6_k = simd::kfused_rows<simd::KKind::q6_k>;
    s.deq_q4_k = simd::kdeq_rows16<simd::KKind::q4_k>;
    s.deq_q5_k = simd::kdeq_rows16<simd::KKind::q5_k>;
    s.deq_q6_k = simd::kdeq_rows16<simd::KKind::q6_k>;
    return s;
  }();
  return k;
}

}  // namespace ys::cpu
