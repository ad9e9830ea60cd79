// CUDA status checks for .cu files of the backend: throw ys::Error(internal) with the
// call text, file:line and the runtime's error string. (No fmt format strings in .cu
// files: nvcc cannot evaluate fmt's consteval checks; messages are concatenated.)
#pragma once

#include "engine/backend/cuda/device.h"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <string>

#define YS_CUDA(call)                                                                                    \
  do {                                                                                                   \
    const cudaError_t ys_err_ = (call);                                                                  \
    if (ys_err_ != cudaSuccess)                                                                          \
      ::ys::cuda::raise(::ys::cuda::Err::internal, std::string("CUDA: " #call " failed at ") + __FILE__ + \
                        ":" + std::to_string(__LINE__) + ": " + cudaGetErrorString(ys_err_));              \
  } while (0)

#define YS_CUBLAS(call)                                                                                  \
  do {                                                                                                   \
    const cublasStatus_t ys_st_ = (call);                                                                \
    if (ys_st_ != CUBLAS_STATUS_SUCCESS)                                                                 \
      ::ys::cuda::raise(::ys::cuda::Err::internal, std::string("cuBLAS: " #call " failed at ") +       \
                        __FILE__ + ":" + std::to_string(__LINE__) + ": " + cublasGetStatusString(ys_st_)); \
  } while (0)

