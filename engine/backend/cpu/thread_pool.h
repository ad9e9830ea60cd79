// A fixed set of persistent worker threads for the CPU kernels.
//
// parallel_for splits [0, n) into size() contiguous chunks by a static rule
// (chunk i = [n*i/size, n*(i+1)/size)); chunk 0 runs on the calling thread. The split
// depends only on n and size(), and kernels compute each output element independently
// of the chunk it falls in, so results never depend on the thread count.
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

 private:
  void worker(int index);
  void run_chunk(int index);

  int n_threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  bool stop_ = false;
  const Fn* fn_ = nullptr;
  int64_t n_ = 0;
  std::exception_ptr error_;
  std::mutex error_mu_;
};

}  // namespace ys::cpu
