// The Llama family (general.architecture "llama", "qwen2"): Llama, Mistral, SmolLM2, Llama 3
// (rope frequency factors), qwen2 (QKV biases, NeoX rope) and Mixtral-style sparse MoE.
#pragma once

#include "engine/model/architecture.h"

#include <memory>

namespace ys::engine {

std::unique_ptr<Architecture> make_llama(const ArchContext& ctx);

}  // namespace ys::engine
