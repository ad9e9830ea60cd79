#include "engine/backend/cpu/act_quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace ys::cpu {
namespace {

// Quantizes n values with one symmetric scale; returns the scale.
float quantize_span(const float* x, int8_t* q, int n) {
  float amax = 0.0f;
  for (int j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0.0f ? 1.0f / d : 0.0f;
  for (int j = 0; j < n; ++j) {
    const long v = std::lrintf(x[j] * id);
    q[j] = static_cast<int8_t>(std::clamp<long>(v, -127, 127));
  }
  return d;
}

}  // namespace

void quantize_act_q8(const float* x, ActQ8x8* out, int64_t n) {
  const int64_t nb = n / 32;
  std::memset(static_cast<void*>(out), 0, static_cast<size_t>(act_q8_groups(n)) * sizeof(ActQ8x8));
  for (int64_t b = 0; b < nb; ++b) {
    ActQ8x8& g = out[b / 8];
    const int i = static_cast<int>(b % 8);
    g.d[i] = quantize_span(x + b * 32, g.qs[i], 32);
    int32_t s = 0;
    for (int j = 0; j < 32; ++j) s += g.qs[i][j];
    g.sum[i] = s;
  }
}

void quantize_act_q8k(const float* x, quant::block_q8_k* out, int64_t n) {
  for (int64_t b = 0; b < n / 256; ++b) {
    out[b].d = quantize_span(x + b * 256, out[b].qs, 256);
    for (int g = 0; g < 16; ++g) {
      int s = 0;
      for (int j = 0; j < 16; ++j) s += out[b].qs[g * 16 + j];
      out[b].bsums[g] = static_cast<int16_t>(s);
    }
  }
}

}  // namespace ys::cpu
