// quantize_row -> dequantize_row error bounds on random data, per type.
#include "engine/quant/blocks.h"
#include "engine/quant/quant.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace ys::quant;

namespace {

std::vector<float> random_row(int64_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, scale);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = nd(rng);
  return x;
}

std::vector<float> round_trip(Type t, const std::vector<float>& x) {
  std::vector<uint8_t> q(row_bytes(t, x.size()));
  quantize_row(t, x.data(), q.data(), static_cast<int64_t>(x.size()));
  std::vector<float> y(x.size());
  dequantize_row(t, q.data(), y.data(), static_cast<int64_t>(x.size()));
  return y;
}

// Largest |x| - min/max range over each group of g elements starting at i.
float group_range(const std::vector<float>& x, size_t i, size_t g) {
  auto [lo, hi] = std::minmax_element(x.begin() + static_cast<long>(i), x.begin() + static_cast<long>(i + g));
  return *hi - *lo;
}
float group_amax(const std::vector<float>& x, size_t i, size_t g) {
  float a = 0.0f;
  for (size_t k = i; k < i + g; ++k) a = std::max(a, std::fabs(x[k]));
  return a;
}

}  // namespace

TEST_CASE("f16 bf16 f32 rows round trip within half an ulp") {
  const auto x = random_row(1000, 1, 3.0f);
  const auto a = round_trip(Type::f32, x), b = round_trip(Type::f16, x), c = round_trip(Type::bf16, x);
  for (size_t i = 0; i < x.size(); ++i) {
    CHECK(a[i] == x[i]);
    CHECK(std::fabs(b[i] - x[i]) <= std::fabs(x[i]) * std::ldexp(1.0f, -11) + std::ldexp(1.0f, -25));
    CHECK(std::fabs(c[i] - x[i]) <= std::fabs(x[i]) * std::ldexp(1.0f, -8));
  }
}

TEST_CASE("32-element block types: error within half a step (+ f16 rounding of the scale)") {
  const auto x = random_row(32 * 64, 2, 1.0f);
  const auto q40 = round_trip(Type::q4_0, x), q41 = round_trip(Type::q4_1, x), q80 = round_trip(Type::q8_0, x);
  for (size_t b = 0; b < x.size() / 32; ++b) {
    const float amax = group_amax(x, b * 32, 32), range = group_range(x, b * 32, 32);
    for (size_t i = b * 32; i < b * 32 + 32; ++i) {
      // q4_0: levels -8..7 of step amax/8, the largest-magnitude value maps to -8 exactly;
      // half a step inside, up to a full step at the clamped far end (+8 is not a level)
      const float step = amax / 8.0f;
      const bool far_end = std::fabs(x[i]) > 7.5f * step;
      CHECK(std::fabs(q40[i] - x[i]) <= step * (far_end ? 1.0f : 0.5f) * 1.01f + 1e-6f);
      CHECK(std::fabs(q41[i] - x[i]) <= range / 15.0f * 0.5f * 1.01f + amax * 1e-3f);
      CHECK(std::fabs(q80[i] - x[i]) <= amax / 127.0f * 0.5f * 1.01f + amax * 1e-3f);
    }
  }
}

TEST_CASE("K-quant types: error within a step of the sub-block fit") {
  const auto x = random_row(256 * 16, 3, 1.0f);
  const auto q4 = round_trip(Type::q4_k, x), q5 = round_trip(Type::q5_k, x), q6 = round_trip(Type::q6_k, x);
  for (size_t s = 0; s < x.size() / 32; ++s) {
    const float range = group_range(x, s * 32, 32);
    const float amax_super = group_amax(x, (s / 8) * 256, 256);
    for (size_t i = s * 32; i < s * 32 + 32; ++i) {
      // half a step plus the 6-bit rounding of scale and min (relative to the super-block max)
      CHECK(std::fabs(q4[i] - x[i]) <= range / 15.0f * 0.5f + amax_super * (2.0f / 63.0f) + 1e-5f);
      CHECK(std::fabs(q5[i] - x[i]) <= range / 31.0f * 0.5f + amax_super * (2.0f / 63.0f) + 1e-5f);
    }
  }
  for (size_t s = 0; s < x.size() / 16; ++s) {
    const float amax = group_amax(x, s * 16, 16), amax_super = group_amax(x, (s / 16) * 256, 256);
    for (size_t i = s * 16; i < s * 16 + 16; ++i)
      CHECK(std::fabs(q6[i] - x[i]) <= amax / 32.0f * 0.5f + amax_super * (2.0f / 127.0f) + 1e-5f);
  }
  // RMS error sanity: finer formats are more accurate
  double e4 = 0, e5 = 0, e6 = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    e4 += (q4[i] - x[i]) * (q4[i] - x[i]);
    e5 += (q5[i] - x[i]) * (q5[i] - x[i]);
    e6 += (q6[i] - x[i]) * (q6[i] - x[i]);
  }
  CHECK(e5 < e4);
  CHECK(e6 < e5);
}

TEST_CASE("quantizing zeros and constants is exact") {
  std::vector<float> z(256, 0.0f), c(256, 0.75f);
  for (Type t : {Type::q4_0, Type::q4_1, Type::q5_0, Type::q5_1, Type::q8_0, Type::q4_k, Type::q5_k, Type::q6_k}) {
    INFO(name(t));
    const auto y = round_trip(t, z);
    for (float v : y) CHECK(v == 0.0f);
    const auto w = round_trip(t, c);
    for (float v : w) CHECK(std::fabs(v - 0.75f) <= 0.75f * 0.02f);
  }
}

TEST_CASE("quantizing non-finite values stays defined and in range") {
  std::vector<float> x(256, 1.0f);
  x[3] = std::numeric_limits<float>::quiet_NaN();
  x[40] = std::numeric_limits<float>::infinity();
  x[41] = -1e38f;
  for (Type t : {Type::q4_0, Type::q4_1, Type::q5_0, Type::q5_1, Type::q8_0, Type::q4_k, Type::q5_k, Type::q6_k}) {
    INFO(name(t));
    std::vector<uint8_t> q(row_bytes(t, x.size()));
    quantize_row(t, x.data(), q.data(), 256);  // must not trap (UBSan build checks casts)
    std::vector<float> y(256);
    dequantize_row(t, q.data(), y.data(), 256);
    CHECK(y.size() == 256);
  }
}
