// Qwen3 and Qwen3-MoE (general.architecture "qwen3", "qwen3moe"): the Llama layout without
// QKV biases, with per-head RMSNorm of queries and keys before NeoX rope (QK norm), heads of
// attention.key_length dims, and for qwen3moe a sparse MoE FFN without a shared expert.
#pragma once

#include "engine/model/architecture.h"

#include <memory>
#include <vector>

namespace ys::engine {

std::unique_ptr<Architecture> make_qwen3(const ArchContext& ctx);
std::vector<ArchFact> qwen3_facts(const gguf::File& f, const HParams& h);

}  // namespace ys::engine
