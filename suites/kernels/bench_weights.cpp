#include "suites/kernels/bench_weights.h"

#include "engine/quant/quant.h"

#include <memory>

namespace ys::kernels {

void fill_uniform(float* v, size_t n, uint64_t seed) {
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (size_t i = 0; i < n; ++i) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    v[i] = float(int32_t(s >> 32)) * (1.0f / 2147483648.0f);
  }
}

const Weights& weights_for(quant::Type t, int64_t rows, int64_t cols) {
  static std::unique_ptr<Weights> cur;
  if (cur && cur->type == t && cur->rows == rows && cur->cols == cols) return *cur;
  cur.reset();
  auto w = std::make_unique<Weights>();
  w->type = t, w->rows = rows, w->cols = cols;
  const size_t rb = quant::row_bytes(t, uint64_t(cols));
  w->data.resize(rb * static_cast<size_t>(rows));
  std::vector<float> row(static_cast<size_t>(cols));
  for (int64_t r = 0; r < rows; ++r) {
    fill_uniform(row.data(), row.size(), uint64_t(r) + 7);
    quant::quantize_row(t, row.data(), w->data.data() + rb * static_cast<size_t>(r), cols);
  }
  cur = std::move(w);
  return *cur;
}

}  // namespace ys::kernels
