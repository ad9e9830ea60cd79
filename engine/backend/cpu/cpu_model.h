// The embedded CPU engine: the shared runtime (engine/runtime/engine.h) over CpuBackend.
// Nothing about requests is here; this is the CPU backend's entry point (load_model).
#pragma once

#include "engine/runtime/engine.h"

namespace ys::engine {

class CpuModel final : public runtime::Engine {
 public:
  CpuModel(const std::filesystem::path& path, const LoadOptions& options);
};

}  // namespace ys::engine
