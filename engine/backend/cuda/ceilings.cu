// Measured ceilings for the speed table of tools/gpu-check.sh: device-to-device copy
// bandwidth and cuBLAS f16/bf16 GEMM rate, on random data, timed with events (median).
#include "engine/backend/cuda/check.cuh"
#include "engine/backend/cuda/kernels.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <vector>

namespace ys::cuda {

namespace {

cudaStream_t st() { return static_cast<cudaStream_t>(stream()); }

__global__ void fill_random_k(uint16_t* p, int64_t n, bool bf16, uint32_t seed) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  uint32_t x = uint32_t(i) * 2654435761u ^ seed;
  x ^= x >> 13;
  x *= 0x5bd1e995u;
  x ^= x >> 15;
  const float f = (float(x & 0xFFFFu) / 65535.0f - 0.5f);
  p[i] = bf16 ? __bfloat16_as_ushort(__float2bfloat16(f)) : __half_as_ushort(__float2half(f));
}

template <typename F>
double median_seconds(int reps, F&& body) {
  cudaEvent_t a, b;
  YS_CUDA(cudaEventCreate(&a));
  YS_CUDA(cudaEventCreate(&b));
  body();  // warm-up
  std::vector<float> ms;
  for (int r = 0; r < std::max(1, reps); ++r) {
    YS_CUDA(cudaEventRecord(a, st()));
    body();
    YS_CUDA(cudaEventRecord(b, st()));
    YS_CUDA(cudaEventSynchronize(b));
    float t = 0.0f;
    YS_CUDA(cudaEventElapsedTime(&t, a, b));
    ms.push_back(t);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(ms.begin(), ms.end());
  return double(ms[ms.size() / 2]) * 1e-3;
}

}  // namespace

double time_copy(uint64_t bytes, int reps) {
  Buffer src(bytes), dst(bytes);
  fill_random_k<<<unsigned((bytes / 2 + 255) / 256), 256, 0, st()>>>(src.as<uint16_t>(), int64_t(bytes / 2), false, 7u);
  check_launch("fill_random");
  return median_seconds(reps, [&] {
    YS_CUDA(cudaMemcpyAsync(dst.data(), src.data(), bytes, cudaMemcpyDeviceToDevice, st()));
  });
}

double time_gemm(int m, int n, int k, bool bf16, int reps) {
  Buffer a(size_t(m) * k * 2), b(size_t(k) * n * 2), c(size_t(m) * n * 2);
  fill_random_k<<<unsigned((int64_t(m) * k + 255) / 256), 256, 0, st()>>>(a.as<uint16_t>(), int64_t(m) * k, bf16, 1u);
  fill_random_k<<<unsigned((int64_t(k) * n + 255) / 256), 256, 0, st()>>>(b.as<uint16_t>(), int64_t(k) * n, bf16, 2u);
  check_launch("fill_random");
  const cudaDataType_t t = bf16 ? CUDA_R_16BF : CUDA_R_16F;
  const float alpha = 1.0f, beta = 0.0f;
  return median_seconds(reps, [&] {
    YS_CUBLAS(cublasGemmEx(static_cast<cublasHandle_t>(blas()), CUBLAS_OP_N, CUBLAS_OP_N, m, n, k, &alpha, a.data(), t,
                           m, b.data(), t, k, &beta, c.data(), t, m, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  });
}

}  // namespace ys::cuda
