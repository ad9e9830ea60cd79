#include "engine/quant/reference.h"

#include "engine/quant/quant.h"

#include <cmath>

namespace ys::quant {

double dot_f64(Type t, const void* row, const float* x, int64_t n) {
  std::vector<float> w(static_cast<size_t>(n));
  dequantize_row(t, row, w.data(), n);
  double s = 0.0;
  for (int64_t k = 0; k < n; ++k) s += static_cast<double>(w[k]) * static_cast<double>(x[k]);
  return s;
}

double abs_dot_f64(Type t, const void* row, const float* x, int64_t n) {
  std::vector<float> w(static_cast<size_t>(n));
  dequantize_row(t, row, w.data(), n);
  double s = 0.0;
  for (int64_t k = 0; k < n; ++k) s += std::fabs(static_cast<double>(w[k]) * static_cast<double>(x[k]));
  return s;
}

std::vector<double> matmul_f64(Type t, const void* w, int64_t rows, int64_t cols, const float* x, int64_t n_tok) {
  std::vector<double> y(static_cast<size_t>(rows * n_tok));
  const uint64_t rb = row_bytes(t, static_cast<uint64_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    const void* row = static_cast<const uint8_t*>(w) + rb * static_cast<uint64_t>(r);
    for (int64_t tk = 0; tk < n_tok; ++tk) y[tk * rows + r] = dot_f64(t, row, x + tk * cols, cols);
  }
  return y;
}

}  // namespace ys::quant
