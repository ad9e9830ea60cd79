#include "engine/quant/quant_k.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace ys::quant {
namespace {

// Element e (0..255) of a q4_k/q5_k super-block: sub-block e/32, stored in byte
// qs[(e/64)*32 + e%32], low nibble for even sub-blocks, high for odd.
inline int nibble_at(const uint8_t* qs, int e) {
  const uint8_t byte = qs[(e / 64) * 32 + e % 32];
  return ((e / 32) & 1) ? byte >> 4 : byte & 0xF;
}

// Round to nearest (even) and clamp to [lo, hi]; NaN -> lo. Never converts an out-of-range float.
int round_clamp(float v, int lo, int hi) {
  const float r = std::nearbyint(v);
  if (!(r >= static_cast<float>(lo))) return lo;
  if (r >= static_cast<float>(hi)) return hi;
  return static_cast<int>(r);
}

// Shared fit of q4_k / q5_k: 8 sub-blocks, levels 0..qmax, y = d*sc*q - dmin*mn.
// Writes d, dmin, packed scales and the per-element levels q[256].
void fit_k(const float* x, int qmax, uint16_t& d16, uint16_t& dmin16, uint8_t* scales, uint8_t* q) {
  float scale[8], mins[8];
  float max_scale = 0.0f, max_min = 0.0f;
  for (int j = 0; j < 8; ++j) {
    float lo = x[j * 32], hi = x[j * 32];
    for (int l = 1; l < 32; ++l) {
      lo = std::min(lo, x[j * 32 + l]);
      hi = std::max(hi, x[j * 32 + l]);
    }
    mins[j] = std::max(0.0f, -lo);
    scale[j] = (hi + mins[j]) / static_cast<float>(qmax);
    max_scale = std::max(max_scale, scale[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float d = max_scale / 63.0f, dmin = max_min / 63.0f;
  d16 = f32_to_f16(d);
  dmin16 = f32_to_f16(dmin);
  uint8_t sc[8], mn[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = static_cast<uint8_t>(d > 0.0f ? round_clamp(scale[j] / d, 0, 63) : 0);
    mn[j] = static_cast<uint8_t>(dmin > 0.0f ? round_clamp(mins[j] / dmin, 0, 63) : 0);
  }
  for (int j = 0; j < 4; ++j) {
    scales[j] = static_cast<uint8_t>(sc[j] | ((sc[j + 4] >> 4) << 6));
    scales[j + 4] = static_cast<uint8_t>(mn[j] | ((mn[j + 4] >> 4) << 6));
    scales[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
  }
  const float df = f16_to_f32(d16), mf = f16_to_f32(dmin16);
  for (int j = 0; j < 8; ++j) {
    const float step = df * sc[j], off = mf * mn[j];
    for (int l = 0; l < 32; ++l) {
      const float v = x[j * 32 + l] + off;
      q[j * 32 + l] = static_cast<uint8_t>(step > 0.0f ? round_clamp(v / step, 0, qmax) : 0);
    }
  }
}

}  // namespace

void dequantize_q4_k(const block_q4_k* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += 256) {
    const float d = f16_to_f32(b[i].d), dmin = f16_to_f32(b[i].dmin);
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, mn;
      k_scale_min(j, b[i].scales, sc, mn);
      const float d1 = d * sc, m1 = dmin * mn;
      for (int l = 0; l < 32; ++l) y[j * 32 + l] = d1 * static_cast<float>(nibble_at(b[i].qs, j * 32 + l)) - m1;
    }
  }
}

void dequantize_q5_k(const block_q5_k* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += 256) {
    const float d = f16_to_f32(b[i].d), dmin = f16_to_f32(b[i].dmin);
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, mn;
      k_scale_min(j, b[i].scales, sc, mn);
      const float d1 = d * sc, m1 = dmin * mn;
      for (int l = 0; l < 32; ++l) {
        const int hi = (b[i].qh[l] >> j) & 1;
        const int q = nibble_at(b[i].qs, j * 32 + l) | (hi << 4);
        y[j * 32 + l] = d1 * static_cast<float>(q) - m1;
      }
    }
  }
}

// Element e of a q6_k super-block: half h = e/128, r = e%128, quarter g = r/32, l = r%32.
// Low 4 bits: ql[64h + l + 32*(g&1)], nibble g/2; high 2 bits: qh[32h + l] >> 2g;
// scale: scales[8h + r/16].
void dequantize_q6_k(const block_q6_k* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += 256) {
    const float d = f16_to_f32(b[i].d);
    for (int e = 0; e < 256; ++e) {
      const int h = e / 128, r = e % 128, g = r / 32, l = r % 32;
      const uint8_t lo_byte = b[i].ql[64 * h + l + 32 * (g & 1)];
      const int lo = (g >= 2) ? lo_byte >> 4 : lo_byte & 0xF;
      const int hi = (b[i].qh[32 * h + l] >> (2 * g)) & 3;
      const int q = (lo | (hi << 4)) - 32;
      y[e] = d * static_cast<float>(b[i].scales[8 * h + r / 16]) * static_cast<float>(q);
    }
  }
}

void quantize_q4_k(const float* x, block_q4_k* b, int64_t nb) {
  uint8_t q[256];
  for (int64_t i = 0; i < nb; ++i, x += 256) {
    fit_k(x, 15, b[i].d, b[i].dmin, b[i].scales, q);
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l)
        b[i].qs[c * 32 + l] = static_cast<uint8_t>(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
  }
}

void quantize_q5_k(const float* x, block_q5_k* b, int64_t nb) {
  uint8_t q[256];
  for (int64_t i = 0; i < nb; ++i, x += 256) {
    fit_k(x, 31, b[i].d, b[i].dmin, b[i].scales, q);
    for (int l = 0; l < 32; ++l) {
      uint8_t h = 0;
      for (int j = 0; j < 8; ++j) h = static_cast<uint8_t>(h | (((q[j * 32 + l] >> 4) & 1) << j));
      b[i].qh[l] = h;
    }
    for (int c = 0; c < 4; ++c)
      for (int l = 0; l < 32; ++l)
        b[i].qs[c * 32 + l] = static_cast<uint8_t>((q[64 * c + l] & 0xF) | ((q[64 * c + 32 + l] & 0xF) << 4));
  }
}

void quantize_q6_k(const float* x, block_q6_k* b, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += 256) {
    float scale[16], amax_scale = 0.0f;
    for (int s = 0; s < 16; ++s) {
      float amax = 0.0f, vmax = 0.0f;
      for (int l = 0; l < 16; ++l) {
        if (std::fabs(x[s * 16 + l]) > amax) {
          amax = std::fabs(x[s * 16 + l]);
          vmax = x[s * 16 + l];
        }
      }
      scale[s] = vmax / -32.0f;
      amax_scale = std::max(amax_scale, std::fabs(scale[s]));
    }
    const float d = amax_scale / 127.0f;
    b[i].d = f32_to_f16(d);
    const float df = f16_to_f32(b[i].d);
    std::memset(b[i].ql, 0, sizeof b[i].ql);
    std::memset(b[i].qh, 0, sizeof b[i].qh);
    for (int s = 0; s < 16; ++s) b[i].scales[s] = static_cast<int8_t>(d > 0.0f ? round_clamp(scale[s] / d, -127, 127) : 0);
    for (int e = 0; e < 256; ++e) {
      const float step = df * b[i].scales[e / 16];
      const int q = (step != 0.0f ? round_clamp(x[e] / step, -32, 31) : 0) + 32;
      const int h = e / 128, r = e % 128, g = r / 32, l = r % 32;
      uint8_t& lo_byte = b[i].ql[64 * h + l + 32 * (g & 1)];
      lo_byte = static_cast<uint8_t>(lo_byte | ((q & 0xF) << (g >= 2 ? 4 : 0)));
      b[i].qh[32 * h + l] = static_cast<uint8_t>(b[i].qh[32 * h + l] | ((q >> 4) << (2 * g)));
    }
  }
}

}  // namespace ys::quant
