// Llama 4 (general.architecture "llama4"): interleaved dense and MoE layers (a sigmoid-gated
// routed expert applied to its scaled input, plus a shared expert), chunked local attention
// with rope (llama3 frequency factors) on 3 of every 4 layers alternating with global
// layers without position encoding (NoPE) whose queries get attention temperature tuning,
// and an L2-style RMS norm (no weights) of queries and keys after rope on the rope layers.
#pragma once

#include "engine/model/architecture.h"

#include <memory>
#include <vector>

namespace ys::engine {

std::unique_ptr<Architecture> make_llama4(const ArchContext& ctx);
std::vector<ArchFact> llama4_facts(const gguf::File& f, const HParams& h);

}  // namespace ys::engine
