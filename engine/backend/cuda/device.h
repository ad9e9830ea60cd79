// Host-side handles of the CUDA backend: device buffers, copies, the one stream and the
// cuBLAS handle, with no CUDA type in the interface (STYLE.md: no CUDA types in headers
// outside backend/cuda; tests and tools include this from plain C++).
//
// Every call checks its CUDA status and throws ys::Error(internal) naming the call and
// the CUDA error text. All work goes to one stream (stream()); copies to the host wait.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ys::cuda {

// Throws ys::Error of that kind (defined in errors.cpp: .cu files cannot include fmt,
// whose consteval format checks nvcc rejects, so they raise errors through this).
enum class Err { io, invalid_input, unsupported, internal };
[[noreturn]] void raise(Err kind, const std::string& message);

// Selects the device for this thread and creates the stream and cuBLAS handle once.
void init_device(int index);
// The backend's one stream, as an opaque pointer (cudaStream_t inside .cu files).
void* stream();
// The cuBLAS handle bound to stream(), opaque (cublasHandle_t inside .cu files).
void* blas();
// Blocks until the stream is idle; throws on an asynchronous error.
void synchronize();
// Throws if the last kernel launch failed (cudaGetLastError).
void check_launch(const char* what);

// An owning device allocation (cudaMalloc), movable.
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(size_t bytes);
  ~Buffer();
  Buffer(Buffer&& o) noexcept : p_(o.p_), n_(o.n_) { o.p_ = nullptr; o.n_ = 0; }
  Buffer& operator=(Buffer&& o) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() const { return p_; }
  size_t size() const { return n_; }
  template <typename T> T* as() const { return static_cast<T*>(p_); }
  // Grows (never shrinks) to at least `bytes`; old contents are lost.
  void reserve(size_t bytes);

 private:
  void* p_ = nullptr;
  size_t n_ = 0;
};

// A CUDA graph captured from the work issued on stream() (opaque handles). Used for the
// decode step: its kernels read positions and token ids from device memory, so one capture
// replays for every position until a buffer it uses is reallocated.
class Graph {
 public:
  Graph() = default;
  ~Graph() { reset(); }
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  bool valid() const { return exec_ != nullptr; }
  void reset();
  void begin_capture();
  // Ends the capture; instantiates it when `keep`. False (nothing kept) on any failure.
  bool end_capture(bool keep);
  void launch();

 private:
  void* graph_ = nullptr;
  void* exec_ = nullptr;
};
// CUDA graphs for decode unless env YS_CUDA_GRAPHS=0 (read at each call).
bool graphs_enabled();

// Stream-ordered copies. to_host waits for the stream to finish.
void to_device(void* dst, const void* src, size_t bytes);
void to_host(void* dst, const void* src, size_t bytes);
void device_copy(void* dst, const void* src, size_t bytes);
void fill_bytes(void* dst, int value, size_t bytes);

template <typename T>
Buffer upload(const std::vector<T>& v) {
  Buffer b(v.size() * sizeof(T));
  if (!v.empty()) to_device(b.data(), v.data(), v.size() * sizeof(T));
  return b;
}
template <typename T>
std::vector<T> download(const void* src, size_t n) {
  std::vector<T> v(n);
  if (n) to_host(v.data(), src, n * sizeof(T));
  return v;
}

}  // namespace ys::cuda
