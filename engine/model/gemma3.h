// Gemma 3 (general.architecture "gemma3"): embeddings scaled by sqrt(n_embd), RMSNorm
// before and after attention and FFN (weights stored as 1 + w in GGUF, so applied as they
// are), per-head QK norm, GeGLU FFN (tanh gelu), NeoX rope, sliding-window attention on 5 of
// every 6 layers with their own rope base, optional final logit soft-capping.
#pragma once

#include "engine/model/architecture.h"

#include <memory>
#include <vector>

namespace ys::engine {

std::unique_ptr<Architecture> make_gemma3(const ArchContext& ctx);
std::vector<ArchFact> gemma3_facts(const gguf::File& f, const HParams& h);

}  // namespace ys::engine
