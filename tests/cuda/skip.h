// Skip helper for CUDA tests: a test case returns early (passing, with a WARN) when no
// CUDA device is visible.
#pragma once

#include "engine/backend/cuda/cuda_model.h"

#include <catch2/catch.hpp>

#include <string>

#define YS_REQUIRE_CUDA_OR_SKIP()                                         \
  do {                                                                    \
    std::string ys_why_;                                                  \
    if (!::ys::engine::cuda_available(&ys_why_)) {                        \
      WARN("no CUDA device: skipped (" << ys_why_ << ")");                \
      return;                                                             \
    }                                                                     \
  } while (0)
