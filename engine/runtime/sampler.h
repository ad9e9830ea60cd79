// Token samplers: greedy (ties to the lowest id) and temperature / top-k / top-p with a
// seeded portable RNG. Pure functions of (logits, params, rng state).
#pragma once

#include "engine/runtime/rng.h"

#include <cstdint>

namespace ys::runtime {

struct SamplingConfig {
  double temperature = 0.0;  // <= 0: greedy
  int top_k = 0;             // <= 0: off
  double top_p = 1.0;        // >= 1: off
};

// Index of the largest logit; the lowest index wins ties.
int32_t argmax(const float* logits, int64_t n);

// Draws a token. Greedy does not consume random numbers.
int32_t sample(const float* logits, int64_t n, const SamplingConfig& cfg, Rng& rng);

}  // namespace ys::runtime
