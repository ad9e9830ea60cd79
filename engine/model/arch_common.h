// Small helpers shared by the architecture files (engine/model/<arch>.cpp): uploads, tensor
// names, per-head views.
#pragma once

#include "engine/model/backend.h"
#include "engine/model/weights.h"

#include <fmt/format.h>

#include <string>
#include <vector>

namespace ys::engine {

inline Mat upload_mat(Backend& be, const WeightMat& m, const std::string& name) { return be.upload(&m, 1, name); }
inline Mat upload_mats(Backend& be, const std::vector<WeightMat>& m, const std::string& name) {
  return be.upload(m.data(), int64_t(m.size()), name);
}

// "blk.<il>.<tensor>"
inline std::string blk(int il, const char* tensor) { return fmt::format("blk.{}.{}", il, tensor); }

// The view of x [rows, n * head_dim] with one row per head: [rows * n, head_dim] (backend.h).
inline Act heads(Act x, int64_t head_dim) { return {x.p, x.rows * (x.cols / head_dim), head_dim}; }

}  // namespace ys::engine
