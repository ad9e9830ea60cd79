// Helpers of the CUDA tests: random data, device round trips, tolerance checks.
#pragma once

#include "engine/backend/cuda/device.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace ys::test {

inline std::vector<float> randn(size_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

// A device buffer of n floats filled with NaN (0xFF bytes): unwritten outputs fail checks.
inline cuda::Buffer poisoned(size_t bytes) {
  cuda::Buffer b(bytes);
  cuda::fill_bytes(b.data(), 0xFF, bytes);
  return b;
}

// Largest |a - b| / (abs_tol + rel_tol * scale[i]); <= 1 passes. NaN gives +inf.
inline double worst_ratio(const std::vector<float>& a, const std::vector<double>& b, const std::vector<double>& scale,
                          double rel_tol, double abs_tol) {
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double err = std::fabs(double(a[i]) - b[i]);
    if (!(err == err)) return INFINITY;
    const double r = err / (abs_tol + rel_tol * scale[i]);
    if (!(r <= worst)) worst = r;
  }
  return worst;
}

}  // namespace ys::test
