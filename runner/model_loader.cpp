#include "runner/model_loader.h"

#include "common/error.h"

#ifdef YS_HAVE_CUDA
#include "engine/backend/cuda/cuda_model.h"
#endif

namespace ys::runner {

std::unique_ptr<engine::Model> open_model(const std::string& path, const engine::LoadOptions& options,
                                          const std::string& device) {
  if (device.empty() || device == "cpu") return engine::load_model(path, options);
  if (device.rfind("cuda", 0) != 0) {
    fail(ErrorKind::invalid_input, "--device: expected cpu or cuda[:N], got \"{}\"", device);
  }
  int index = 0;
  if (device.size() > 4) {
    if (device[4] != ':' || device.size() == 5 || device.find_first_not_of("0123456789", 5) != std::string::npos) {
      fail(ErrorKind::invalid_input, "--device: expected cuda or cuda:N, got \"{}\"", device);
    }
    index = std::stoi(device.substr(5));
  }
#ifdef YS_HAVE_CUDA
  std::string why;
  if (!engine::cuda_available(&why)) fail(ErrorKind::unsupported, "--device {}: no usable GPU: {}", device, why);
  return engine::load_cuda_model(path, options, index);
#else
  (void)index;
  fail(ErrorKind::unsupported, "--device {}: this yardstick was built without CUDA (nvcc was not found at build time)",
       device);
#endif
}

}  // namespace ys::runner
