// The CUDA backend's public face: availability, device facts for the hardware record,
// and the loader of a model onto an NVIDIA GPU. No CUDA type appears here.
//
// load_cuda_model returns the shared runtime (engine/runtime/engine.h: requests, prefix
// reuse, one-pass multiple choice, continuous batching, paged KV) over CudaBackend
// (cuda_backend.h): same tokenizer and request logic as the CPU engine, results equal up
// to the numeric tolerances stated in tests/cuda/model_test.cpp.
#pragma once

#include "engine/model/model.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace ys::engine {

// True when a CUDA device can be used. Otherwise false, and *why (if given) says why
// (no driver, no device, runtime error text).
bool cuda_available(std::string* why);

struct CudaDeviceInfo {
  int index = 0;
  std::string name;               // e.g. "NVIDIA H100 80GB HBM3"
  int cc_major = 0, cc_minor = 0; // compute capability
  uint64_t total_memory = 0;      // bytes
  int multiprocessors = 0;
  int driver_version = 0;         // CUDA driver API version, e.g. 13000
  int runtime_version = 0;        // CUDA runtime version this binary uses
  int clock_khz = 0;              // SM clock (max), kHz; 0 when the runtime no longer reports it
  int memory_clock_khz = 0;       // 0 when not reported
  int memory_bus_bits = 0;
  uint64_t l2_bytes = 0;
};

// Every visible device; empty when none (never throws for a missing driver).
std::vector<CudaDeviceInfo> cuda_devices();

// Loads a GGUF model onto device `device_index`. Throws ys::Error (file errors as the CPU
// loader; unsupported tensor types; invalid_input for a bad device index or no device).
std::unique_ptr<Model> load_cuda_model(const std::filesystem::path& path, const LoadOptions& options,
                                       int device_index);

}  // namespace ys::engine
