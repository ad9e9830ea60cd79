// `--cpu-gemm`: which implementation runs the CPU's matrix products. Header-only so that the
// settings validation (and its fuzz target) need not link oneDNN.
#pragma once

#include "common/error.h"

#include <cstdint>
#include <string>

namespace ys::cpu {

enum class OnednnType : uint8_t { f32, bf16, s8 };

// "engine" (the engine's kernels, default) or "onednn" (bf16 OnednnMatrix, onednn_gemm.h);
// throws ys::Error(invalid_input) naming `flag` otherwise.
struct CpuGemm {
  bool onednn = false;
  OnednnType type = OnednnType::bf16;
};

inline CpuGemm parse_cpu_gemm(const std::string& name, const std::string& flag) {
  if (name == "engine") return {};
  if (name == "onednn") return {true, OnednnType::bf16};
  fail(ErrorKind::invalid_input, "{}: '{}' is not a CPU matrix-product backend; expected engine or onednn", flag,
       name);
}

}  // namespace ys::cpu
