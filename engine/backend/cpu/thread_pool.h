// A fixed set of persistent worker threads for the CPU kernels.
//
// parallel_for splits [0, n) into size() contiguous chunks by a static rule
// (chunk i = [n*i/size, n*(i+1)/size)); chunk 0 runs on the calling thread. The split
// depends only on n and size(), and kernels compute each output element independently
// of the chunk it falls in, so results never depend on the thread count.
//
// parallel_for_dynamic splits [0, n) into chunks of `grain` that the calling thread and
// the workers claim as they come (an atomic ticket): a worker that the OS has not
// scheduled yet never delays the caller, which then simply does more chunks. Only for
// kernels whose results do not depend on the split (matmul: each element is computed by
// one fixed routine).
//
// Workers spin briefly (pause, yielding now and then) before sleeping on a condition
// variable, so back-to-back calls (decode: hundreds per token) wake them in microseconds.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ys::cpu {

class ThreadPool {
 public:
  using Fn = std::function<void(int64_t begin, int64_t end, int thread)>;

  explicit ThreadPool(int n_threads);  // 0 = std::thread::hardware_concurrency()
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }
  // Runs fn once per non-empty chunk; returns when all chunks are done. The first
  // exception thrown by any chunk is rethrown here. Not reentrant (one caller at a time).
  void parallel_for(int64_t n, const Fn& fn);
  // Chunks [k*grain, min(n, (k+1)*grain)) claimed dynamically (see above); same error rules.
  // With one thread (or a single chunk) fn runs once on [0, n).
  void parallel_for_dynamic(int64_t n, int64_t grain, const Fn& fn);

 private:
  void worker(int index);
  void run_chunk(int index);
  void run_dynamic(uint32_t epoch, int thread);
  void publish(bool dynamic);
  void record_error();

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  // (job counter << 1) | dynamic flag; bumped once per job.
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  const Fn* fn_ = nullptr;
  int64_t n_ = 0;
  // Dynamic jobs: ticket = epoch | chunks | next chunk (thread_pool.cpp); done = chunks finished.
  std::atomic<uint64_t> ticket_{0};
  std::atomic<int64_t> done_{0};
  int64_t grain_ = 1, chunks_ = 0;
  std::exception_ptr error_;
  std::mutex error_mu_;
};

}  // namespace ys::cpu
