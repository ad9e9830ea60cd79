#include "engine/backend/cuda/check.cuh"
#include "engine/backend/cuda/cuda_model.h"
#include "engine/backend/cuda/device.h"

#include <cstdlib>
#include <string>
#include <utility>

namespace ys::cuda {

namespace {
struct Context {
  int device = -1;
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
};
Context& ctx() {
  static Context c;
  return c;
}
void ensure_init() {
  if (ctx().device < 0) init_device(0);
}
}  // namespace

void init_device(int index) {
  Context& c = ctx();
  if (c.device == index) return;
  int n = 0;
  YS_CUDA(cudaGetDeviceCount(&n));
  if (index < 0 || index >= n)
    raise(Err::invalid_input, "--device cuda:" + std::to_string(index) + ": expected an index in [0, " +
                                  std::to_string(n) + ")");
  if (c.device >= 0)
    raise(Err::invalid_input, "--device cuda:" + std::to_string(index) + ": this process already uses cuda:" +
                                  std::to_string(c.device) + " (one device per process)");
  YS_CUDA(cudaSetDevice(index));
  YS_CUDA(cudaStreamCreateWithFlags(&c.stream, cudaStreamNonBlocking));
  YS_CUBLAS(cublasCreate(&c.blas));
  YS_CUBLAS(cublasSetStream(c.blas, c.stream));
  YS_CUBLAS(cublasSetMathMode(c.blas, CUBLAS_DEFAULT_MATH));  // no TF32 for f32 GEMMs
  c.device = index;
}

void* stream() {
  ensure_init();
  return ctx().stream;
}
void* blas() {
  ensure_init();
  return ctx().blas;
}
void synchronize() { YS_CUDA(cudaStreamSynchronize(static_cast<cudaStream_t>(stream()))); }
void check_launch(const char* what) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess)
    raise(Err::internal, std::string("CUDA: launch of ") + what + " failed: " + cudaGetErrorString(e));
}

Buffer::Buffer(size_t bytes) { reserve(bytes); }
Buffer::~Buffer() {
  if (p_) cudaFree(p_);
}
Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    if (p_) cudaFree(p_);
    p_ = std::exchange(o.p_, nullptr);
    n_ = std::exchange(o.n_, 0);
  }
  return *this;
}
void Buffer::reserve(size_t bytes) {
  if (bytes <= n_) return;
  ensure_init();
  if (p_) {
    YS_CUDA(cudaStreamSynchronize(ctx().stream));
    YS_CUDA(cudaFree(p_));
    p_ = nullptr;
    n_ = 0;
  }
  const cudaError_t e = cudaMalloc(&p_, bytes);
  if (e != cudaSuccess) {
    p_ = nullptr;
    raise(Err::io, "CUDA: cannot allocate " + std::to_string(bytes) + " bytes of device memory: " +
                                   cudaGetErrorString(e));
  }
  n_ = bytes;
}

void Graph::reset() {
  if (exec_) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(exec_));
  if (graph_) cudaGraphDestroy(static_cast<cudaGraph_t>(graph_));
  exec_ = graph_ = nullptr;
}
void Graph::begin_capture() {
  reset();
  YS_CUDA(cudaStreamBeginCapture(static_cast<cudaStream_t>(stream()), cudaStreamCaptureModeThreadLocal));
}
bool Graph::end_capture(bool keep) {
  cudaGraph_t g = nullptr;
  const cudaError_t e = cudaStreamEndCapture(static_cast<cudaStream_t>(stream()), &g);
  if (e != cudaSuccess || !g || !keep) {
    if (g) cudaGraphDestroy(g);
    cudaGetLastError();
    return false;
  }
  cudaGraphExec_t x = nullptr;
  if (cudaGraphInstantiate(&x, g, 0) != cudaSuccess) {
    cudaGraphDestroy(g);
    cudaGetLastError();
    return false;
  }
  graph_ = g;
  exec_ = x;
  return true;
}
void Graph::launch() {
  YS_CUDA(cudaGraphLaunch(static_cast<cudaGraphExec_t>(exec_), static_cast<cudaStream_t>(stream())));
}
bool graphs_enabled() {
  const char* v = std::getenv("YS_CUDA_GRAPHS");
  return !(v && std::string(v) == "0");
}

void to_device(void* dst, const void* src, size_t bytes) {
  YS_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, static_cast<cudaStream_t>(stream())));
  synchronize();  // src may be a temporary host buffer
}
void to_host(void* dst, const void* src, size_t bytes) {
  YS_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, static_cast<cudaStream_t>(stream())));
  synchronize();
}
void device_copy(void* dst, const void* src, size_t bytes) {
  YS_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, static_cast<cudaStream_t>(stream())));
}
void fill_bytes(void* dst, int value, size_t bytes) {
  YS_CUDA(cudaMemsetAsync(dst, value, bytes, static_cast<cudaStream_t>(stream())));
}

}  // namespace ys::cuda

namespace ys::engine {

bool cuda_available(std::string* why) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    if (why) *why = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(e);
    cudaGetLastError();  // clear the sticky-free error state
    return false;
  }
  if (n <= 0) {
    if (why) *why = "no CUDA device is visible";
    return false;
  }
  return true;
}

std::vector<CudaDeviceInfo> cuda_devices() {
  std::vector<CudaDeviceInfo> out;
  if (!cuda_available(nullptr)) return out;
  int n = 0, drv = 0, rt = 0;
  cudaGetDeviceCount(&n);
  cudaDriverGetVersion(&drv);
  cudaRuntimeGetVersion(&rt);
  for (int i = 0; i < n; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    CudaDeviceInfo d;
    d.index = i;
    d.name = p.name;
    d.cc_major = p.major;
    d.cc_minor = p.minor;
    d.total_memory = p.totalGlobalMem;
    d.multiprocessors = p.multiProcessorCount;
    d.driver_version = drv;
    d.runtime_version = rt;
    int v = 0;
    if (cudaDeviceGetAttribute(&v, cudaDevAttrClockRate, i) == cudaSuccess) d.clock_khz = v;
    if (cudaDeviceGetAttribute(&v, cudaDevAttrMemoryClockRate, i) == cudaSuccess) d.memory_clock_khz = v;
    d.memory_bus_bits = p.memoryBusWidth;
    d.l2_bytes = uint64_t(p.l2CacheSize);
    out.push_back(std::move(d));
  }
  cudaGetLastError();
  return out;
}

}  // namespace ys::engine
