// Opens a model on the device a user asked for: "cpu" (the default) or "cuda[:N]".
// The one place above the engine that knows which backends were compiled in.
#pragma once

#include "engine/model/model.h"

#include <memory>
#include <string>

namespace ys::runner {

// Throws ys::Error(invalid_input) for an unknown device string and ys::Error(unsupported)
// for cuda when this binary was built without it or no GPU is visible.
std::unique_ptr<engine::Model> open_model(const std::string& path, const engine::LoadOptions& options,
                                          const std::string& device);

}  // namespace ys::runner
