// Helpers of the CUDA tests: random data, device round trips, tolerance checks.
#pragma once

#include "engine/backend/cuda/device.h"
#include "engine/model/synth.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
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

// Largest |a - b| / (|b| + 1e-6) (relative error against the reference b); a NaN
// makes it NaN, which fails every <= check.
inline double max_rel(const std::vector<float>& a, const std::vector<float>& b) {
  double worst = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double e = std::fabs(double(a[i]) - double(b[i])) / (std::fabs(double(b[i])) + 1e-6);
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

// Writes the synthetic model s as <binary dir>/test_tmp/cuda/<name>.gguf ($YS_BINARY_DIR first:
// the GPU bundle runs away from its build tree) and returns its path.
inline std::filesystem::path synth_file(const std::string& name, const engine::SynthSpec& s) {
  const char* env = std::getenv("YS_BINARY_DIR");
  const auto dir = std::filesystem::path(env && *env ? env : YS_BINARY_DIR) / "test_tmp" / "cuda";
  std::filesystem::create_directories(dir);
  const auto path = dir / (name + ".gguf");
  engine::write_synth_model(s, path);
  return path;
}

}  // namespace ys::test
