// Internal to engine/runtime: the state of one sequence in the scheduler (Engine::Seq).
#pragma once

#include "engine/runtime/engine.h"

#include <cstdint>
#include <vector>

namespace ys::runtime {

struct Engine::Seq {
  std::vector<int32_t> tokens;  // every token known (input, or prompt + sampled tokens)
  int64_t n_done = 0;           // positions whose keys/values are in `blocks`
  int64_t first_out = 0;        // rows at positions >= first_out are output rows
  std::vector<int32_t> blocks;  // block table
  int64_t reserved = 0;         // blocks promised to it, not yet allocated
  int64_t index_limit = 0;      // positions that go into the prefix index (0 = none)
  int64_t indexed = 0;          // full blocks indexed so far
  size_t job = 0;               // the caller's index
  int64_t pending() const { return int64_t(tokens.size()) - n_done; }
};

}  // namespace ys::runtime
