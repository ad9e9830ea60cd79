#include "engine/backend/cpu/cpu_model.h"

#include "engine/backend/cpu/cpu_backend.h"

namespace ys::engine {

CpuModel::CpuModel(const std::filesystem::path& path, const LoadOptions& options)
    : runtime::Engine(path, options, [&options]() -> std::unique_ptr<Backend> {
        const cpu::ActPrecision act = cpu::parse_act_precision(options.activations, "--activations");
        const cpu::CpuGemm gemm = cpu::parse_cpu_gemm(options.cpu_gemm, "--cpu-gemm");
        return std::make_unique<cpu::CpuBackend>(options.threads, act, gemm);
      }) {}

std::unique_ptr<Model> load_model(const std::filesystem::path& path, const LoadOptions& options) {
  return std::make_unique<CpuModel>(path, options);
}

}  // namespace ys::engine
