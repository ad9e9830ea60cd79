// Reference (slow, obviously correct) dot products for tests: weights dequantized to f32
// with dequantize_row, products accumulated in double in element order.
#pragma once

#include "engine/quant/types.h"

#include <cstdint>
#include <vector>

namespace ys::quant {

// sum_k W[k] * x[k] in double; row holds row_bytes(t, n) bytes.
double dot_f64(Type t, const void* row, const float* x, int64_t n);
// sum_k |W[k] * x[k]| in double (to scale rounding-error bounds).
double abs_dot_f64(Type t, const void* row, const float* x, int64_t n);
// y[t*rows + r] = dot_f64(row r, token t) for a row-major weight matrix.
std::vector<double> matmul_f64(Type t, const void* w, int64_t rows, int64_t cols, const float* x, int64_t n_tok);

}  // namespace ys::quant
