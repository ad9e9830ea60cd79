// The canonical per-element routines (kernels.h), written plainly. The SIMD variants
// must reproduce these bits exactly; tests/quant checks it.
#include "engine/backend/cpu/act_quant.h"
#include "engine/backend/cpu/kernels.h"
#include "engine/quant/blocks.h"

#include <cmath>

namespace ys::cpu {
namespace {

using namespace ys::quant;

inline const uint8_t* row_ptr(const WeightView& w, int64_t r, size_t bytes_per_block, int64_t nb) {
  return static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r) * bytes_per_block * nb;
}

template <typename Load>
void float_rows(const WeightView& w, const void* act, size_t stride, int64_t n_tok, int64_t r0, int64_t r1,
                float* y, size_t elem_bytes, Load load) {
  for (int64_t r = r0; r < r1; ++r) {
    const uint8_t* wr = static_cast<const uint8_t*>(w.data) + static_cast<size_t>(r) * elem_bytes * w.cols;
    for (int64_t t = 0; t < n_tok; ++t) {
      const float* x = reinterpret_cast<const float*>(static_cast<const uint8_t*>(act) + t * stride);
      float acc[16] = {};
      for (int64_t k = 0; k < w.cols; ++k) acc[k % 16] = std::fma(load(wr, k), x[k], acc[k % 16]);
      y[t * w.rows + r] = reduce16(acc);
    }
  }
}

void rows_f32(const WeightView& w, const void* a, size_t s, int64_t n, int64_t r0, int64_t r1, float* y) {
  float_rows(w, a, s, n, r0, r1, y, 4, [](const uint8_t* p, int64_t k) {
    return reinterpret_cast<const float*>(p)[k];
  });
}
void rows_f16(const WeightView& w, const void* a, size_t s, int64_t n, int64_t r0, int64_t r1, float* y) {
  float_rows(w, a, s, n, r0, r1, y, 2, [](const uint8_t* p, int64_t k) {
    return f16_to_f32(reinterpret_cast<const uint16_t*>(p)[k]);
  });
}
void rows_bf16(const WeightView& w, const void* a, size_t s, int64_t n, int64_t r0, int64_t r1, float* y) {
  float_rows(w, a, s, n, r0, r1, y, 2, [](const uint8_t* p, int64_t k) {
    return bf16_to_f32(reinterpret_cast<const uint16_t*>(p)[k]);
  });
}

// 32-element block types: Block gives (dw, mw, isum) for one weight block and one ActQ8.
template <typename B, bool kHasMin, typename IsumFn>
void block_rows(const WeightView& w, const void* act, size_t stride, int64_t n_tok, int64_t r0, int64_t r1,
                float* y, IsumFn isum_of) {
  const int64_t nb = w.cols / 32;
  for (int64_t r = r0; r < r1; ++r) {
    const B* wb = reinterpret_cast<const B*>(row_ptr(w, r, sizeof(B), nb));
    for (int64_t t = 0; t < n_tok; ++t) {
      const ActQ8x8* xg = reinterpret_cast<const ActQ8x8*>(static_cast<const uint8_t*>(act) + t * stride);
      float acc[8] = {};
      for (int64_t b = 0; b < nb; ++b) {
        const ActQ8x8& g = xg[b / 8];
        const int i = static_cast<int>(b % 8);
        const float dx = g.d[i];
        float a = acc[i];
        if constexpr (kHasMin) a = std::fma(f16_to_f32(wb[b].m) * dx, static_cast<float>(g.sum[i]), a);
        acc[i] = std::fma(f16_to_f32(wb[b].d) * dx, static_cast<float>(isum_of(wb[b], g.qs[i])), a);
      }
      y[t * w.rows + r] = reduce8(acc);
    }
  }
}

void rows_q4_0(const WeightView& w, const void* a, size_t s, int64_t n, int64_t r0, int64_t r1, float* y) {
  block_rows<block_q4_0, false>(w, a, s, n, r0, r1, y, [](const block_q4_0& b, const int8_t* xq) {
    int32_t sum = 0;
    for (int j = 0; j < 16; ++j) sum += ((b.qs[j] & 0xF) - 8) * xq[j] + ((b.qs[j] >> 4) - 8) * xq[j + 16];
    return sum;
  });
}
void rows_q4_1(const WeightView& w, const void* a, size_t s, int64_t n, int64_t r0, int64_t r1, float* y) {
  block_rows<block_q4_1, true>(w, a, s, n, r0, r1, y, [](const block_q4_1& b, const int8_t* xq) {
    int32_t sum = 0;
    for (int j = 0; j < 16; ++j) sum += (b.qs[j] & 0xF) * xq[j] + (b.qs[j] >> 4) * xq[j + 16];
    return sum;
  });
}
// q5 blocks: integer sum over the five-bit values (q - 16 for q5_0, q for q5_1).
template <typename B, int kOffset>
int32_t q5_isum(const B& b, const int8_t* xq) {
  const uint32_t qh = q5_high_bits(b.qh);
  int32_t sum = 0;
  for (int j = 0; j < 16; ++j)
    sum += (q5_value(b.qs, qh, j) - kOffset) * xq[j] + (q5_value(b.qs, qh, j + 16) - kOffset) * xq[j + 16];
  return sum;
}
void rows_q5_0(const WeightView& w, const void* a, size_t s, int64_t n, int64_t r0, int64_t r1, float* y) {
  block_rows<block_q5_0, false>(w, a, s, n, r0, r1, y, q5_isum<block_q5_0, 16>);
}
void rows_q5_1(const WeightView& w, const void* a, size_t s, int64_t n, int64_t r0, int64_t r1, float* y) {
  block_rows<block_q5_1, true>(w, a, s, n, r0, r1, y, q5_isum<block_q5_1, 0>);
}
void rows_q8_0(const WeightView& w, const void* a, size_t s, int64_t n, int64_t r0, int64_t r1, float* y) {
  block_rows<block_q8_0, false>(w, a, s, n, r0, r1, y, [](const block_q8_0& b, const int8_t* xq) {
    int32_t sum = 0;
    for (int j = 0; j < 32; ++j) sum += b.qs[j] * xq[j];
    return sum;
  });
}

// K-quants: Fn(block, act, isum&, msum&) fills the two integers of one super-block.
template <typename B, typename Fn>
void k_rows(const WeightView& w, const void* act, size_t stride, int64_t n_tok, int64_t r0, int64_t r1, float* y,
            Fn ints) {
  const int64_t nb = w.cols / 256;
  for (int64_t r = r0; r < r1; ++r) {
    const B* wb = reinterpret_cast<const B*>(row_ptr(w, r, sizeof(B), nb));
    for (int64_t t = 0; t < n_tok; ++t) {
      const block_q8_k* xb = reinterpret_cast<const block_q8_k*>(static_cast<const uint8_t*>(act) + t * stride);
      float s = 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        int32_t isum = 0, msum = 0;
        float d, dmin;
        ints(wb[b], xb[b], isum, msum, d, dmin);
        s = std::fma(d * xb[b].d, static_cast<float>(isum), s);
        if (dmin != 0.0f || msum != 0) s = std::fma(-(dmin * xb[b].d), static_cast<float>(msum), s);
      }
      y[t * w.rows + r] = s;
    }
  }
}

inline int q45_nibble(const uint8_t* qs, int e) {
  const uint8_t byte = qs[(e / 64) * 32 + e % 32];
  return ((e / 32) & 1) ? byte >> 4 : byte & 0xF;
}

template <bool kFive, typename B>
void q45_ints(const B& b, const block_q8_k& x, int32_t& isum, int32_t& msum, float& d, float& dmin) {
  for (int j = 0; j < 8; ++j) {
    uint8_t sc, mn;
    k_scale_min(j, b.scales, sc, mn);
    int32_t dot = 0;
    for (int l = 0; l < 32; ++l) {
      int q = q45_nibble(b.qs, j * 32 + l);
      if constexpr (kFive) q |= ((b.qh[l] >> j) & 1) << 4;
      dot += q * x.qs[j * 32 + l];
    }
    isum += sc * dot;
    msum += mn * (x.bsums[2 * j] + x.bsums[2 * j + 1]);
  }
  d = f16_to_f32(b.d);
  dmin = f16_to_f32(b.dmin);
}

void rows_q4_k(const WeightView& w, const void* a, size_t s, int64_t n, int64_t r0, int64_t r1, float* y) {
  k_rows<block_q4_k>(w, a, s, n, r0, r1, y, q45_ints<false, block_q4_k>);
}
void rows_q5_k(const WeightView& w, const void* a, size_t s, int64_t n, int64_t r0, int64_t r1, float* y) {
  k_rows<block_q5_k>(w, a, s, n, r0, r1, y, q45_ints<true, block_q5_k>);
}

void q6_ints(const block_q6_k& b, const block_q8_k& x, int32_t& isum, int32_t& msum, float& d, float& dmin) {
  for (int s = 0; s < 16; ++s) {
    int32_t dot = 0;
    for (int i = 0; i < 16; ++i) {
      const int e = s * 16 + i, h = e / 128, r = e % 128, g = r / 32, l = r % 32;
      const uint8_t lo_byte = b.ql[64 * h + l + 32 * (g & 1)];
      const int lo = (g >= 2) ? lo_byte >> 4 : lo_byte & 0xF;
      const int hi = (b.qh[32 * h + l] >> (2 * g)) & 3;
      dot += ((lo | (hi << 4)) - 32) * x.qs[e];
    }
    isum += b.scales[s] * dot;
  }
  msum = 0;
  d = f16_to_f32(b.d);
  dmin = 0.0f;
}

void rows_q6_k(const WeightView& w, const void* a, size_t s, int64_t n, int64_t r0, int64_t r1, float* y) {
  k_rows<block_q6_k>(w, a, s, n, r0, r1, y, q6_ints);
}

}  // namespace

const KernelSet& kernels_scalar() {
  static const KernelSet k = [] {
    KernelSet s;
    s.f32 = rows_f32;
    s.f16 = rows_f16;
    s.bf16 = rows_bf16;
    s.q4_0 = rows_q4_0;
    s.q4_1 = rows_q4_1;
    s.q8_0 = rows_q8_0;
    s.q5_0 = rows_q5_0;
    s.q5_1 = rows_q5_1;
    s.q4_k = rows_q4_k;
    s.q5_k = rows_q5_k;
    s.q6_k = rows_q6_k;
    return s;
  }();
  return k;
}

}  // namespace ys::cpu
