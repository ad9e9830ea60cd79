#include "engine/backend/cpu/ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace ys::cpu {

void rmsnorm(const float* x, const float* w, int64_t n_tok, int64_t dim, float eps, float* y) {
  for (int64_t t = 0; t < n_tok; ++t) {
    const float* xr = x + t * dim;
    float* yr = y + t * dim;
    double ss = 0.0;
    for (int64_t i = 0; i < dim; ++i) ss += double(xr[i]) * double(xr[i]);
    const float scale = float(1.0 / std::sqrt(ss / double(dim) + double(eps)));
    for (int64_t i = 0; i < dim; ++i) yr[i] = (xr[i] * scale) * w[i];
  }
}

void add_bias(float* x, const float* b, int64_t n_tok, int64_t dim) {
  for (int64_t t = 0; t < n_tok; ++t)
    for (int64_t i = 0; i < dim; ++i) x[t * dim + i] += b[i];
}

void add_inplace(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void softmax(float* x, int64_t n) {
  if (n <= 0) return;
  float mx = x[0];
  for (int64_t i = 1; i < n; ++i) mx = std::max(mx, x[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = float(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void gelu_mul(const float* gate, const float* up, float* out, int64_t n) {
  constexpr double kC = 0.79788456080286535588;  // sqrt(2/pi)
  for (int64_t i = 0; i < n; ++i) {
    const double g = gate[i];
    const float ge = float(0.5 * g * (1.0 + std::tanh(kC * (g + 0.044715 * g * g * g))));
    out[i] = ge * up[i];
  }
}

void scale_inplace(float* x, int64_t n, float s) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}

void softcap_inplace(float* x, int64_t n, float cap) {
  for (int64_t i = 0; i < n; ++i) x[i] = float(double(cap) * std::tanh(double(x[i]) / double(cap)));
}

float position_scale(int32_t pos, float floor_scale, float scale, float offset) {
  const float f = std::floor((float(pos) + offset) / floor_scale);
  return float(std::log(double(f) + 1.0) * double(scale) + 1.0);
}

namespace {

// YaRN: the dimension range [low, high] that blends interpolation and extrapolation.
void yarn_corr_dims(const RopeParams& p, double dims[2]) {
  auto corr = [&](double n_rot) {
    return p.n_rot * std::log(p.n_ctx_orig / (n_rot * 2.0 * M_PI)) / (2.0 * std::log(double(p.freq_base)));
  };
  dims[0] = std::max(0.0, std::floor(corr(p.beta_fast)));
  dims[1] = std::min(double(p.n_rot - 1), std::ceil(corr(p.beta_slow)));
}

// Angle scale for pair index i (0 <= i < n_rot/2) at position pos: cos/sin with magnitude.
void rope_angle(const RopeParams& p, const double corr[2], int32_t pos, int i, double* c, double* s) {
  double theta_extrap = double(pos) * std::pow(double(p.freq_base), -2.0 * i / p.n_rot);
  if (p.freq_factors) theta_extrap /= double(p.freq_factors[i]);
  const double theta_interp = double(p.freq_scale) * theta_extrap;
  double theta = theta_interp;
  double mscale = p.attn_factor;
  if (p.ext_factor != 0.0f) {
    const double y = (i - corr[0]) / std::max(0.001, corr[1] - corr[0]);
    const double ramp = (1.0 - std::min(1.0, std::max(0.0, y))) * p.ext_factor;
    theta = theta_interp * (1.0 - ramp) + theta_extrap * ramp;
    mscale *= 1.0 + 0.1 * std::log(1.0 / p.freq_scale);
  }
  *c = std::cos(theta) * mscale;
  *s = std::sin(theta) * mscale;
}

}  // namespace

void rope_table(const int32_t* pos, int64_t n_tok, const RopeParams& p, float* cs) {
  double corr[2] = {0.0, 0.0};
  if (p.ext_factor != 0.0f) yarn_corr_dims(p, corr);
  const int half = p.n_rot / 2;
  for (int64_t t = 0; t < n_tok; ++t) {
    for (int i = 0; i < half; ++i) {
      double c = 0, s = 0;
      rope_angle(p, corr, pos[t], i, &c, &s);
      cs[t * p.n_rot + 2 * i] = float(c);
      cs[t * p.n_rot + 2 * i + 1] = float(s);
    }
  }
}

void rope(float* x, int64_t n_tok, int n_head, int head_dim, const int32_t* pos, const RopeParams& p) {
  std::vector<float> cs(size_t(n_tok) * size_t(p.n_rot));
  rope_table(pos, n_tok, p, cs.data());
  rope_apply(x, n_tok, n_head, head_dim, cs.data(), p);
}

void rope_apply(float* x, int64_t n_tok, int n_head, int head_dim, const float* cs_all, const RopeParams& p) {
  const int half = p.n_rot / 2;
  for (int64_t t = 0; t < n_tok; ++t) {
    const float* cs = cs_all + t * p.n_rot;
    for (int h = 0; h < n_head; ++h) {
      float* xh = x + (t * n_head + h) * head_dim;
      for (int i = 0; i < half; ++i) {
        const int a = p.neox ? i : 2 * i;
        const int b = p.neox ? i + half : 2 * i + 1;
        const float x0 = xh[a], x1 = xh[b];
        const float c = cs[2 * i], s = cs[2 * i + 1];
        xh[a] = x0 * c - x1 * s;
        xh[b] = x0 * s + x1 * c;
      }
    }
  }
}

// attention and attention_batch: attention.cpp.

}  // namespace ys::cpu
