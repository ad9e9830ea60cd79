#include "engine/backend/cuda/cuda_model.h"

#include "common/error.h"
#include "engine/backend/cuda/cuda_backend.h"
#include "engine/runtime/engine.h"

namespace ys::engine {

std::unique_ptr<Model> load_cuda_model(const std::filesystem::path& path, const LoadOptions& options,
                                       int device_index) {
  auto make = [&]() -> std::unique_ptr<Backend> {
    std::string why;
    if (!cuda_available(&why)) fail(ErrorKind::invalid_input, "--device cuda:{}: {}", device_index, why);
    if (options.activations != "f32")
      fail(ErrorKind::unsupported, "--activations {}: the CUDA backend computes with f32 activations only",
           options.activations);
    return std::make_unique<cuda::CudaBackend>(device_index, options.deterministic);
  };
  return std::make_unique<runtime::Engine>(path, options, make);
}

}  // namespace ys::engine
