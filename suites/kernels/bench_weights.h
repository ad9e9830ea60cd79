// The synthetic inputs of the matrix-product benchmarks (engine kernels and oneDNN alike):
// deterministic uniform values in [-1, 1), and weight matrices of a given type built from
// them (row r from seed r + 7), so that every implementation multiplies the same numbers.
#pragma once

#include "engine/backend/cpu/matmul.h"
#include "engine/quant/types.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ys::kernels {

// Fast deterministic values in [-1, 1).
void fill_uniform(float* v, size_t n, uint64_t seed);

struct Weights {
  quant::Type type;
  int64_t rows = 0, cols = 0;
  std::vector<uint8_t> data;
  cpu::WeightView view(cpu::ActPrecision act) const { return {type, data.data(), rows, cols, act}; }
};

// One weight matrix at a time is kept (benchmarks of one shape and type run together).
const Weights& weights_for(quant::Type t, int64_t rows, int64_t cols);

}  // namespace ys::kernels
