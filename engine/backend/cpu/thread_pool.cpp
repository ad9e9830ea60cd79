#include "engine/backend/cpu/thread_pool.h"

#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ys::cpu {
namespace {

// Pause; every 256th call yields the core, so an oversubscribed machine still progresses.
inline void cpu_relax(int iter) {
#if defined(__x86_64__)
  _mm_pause();
#endif
  if ((iter & 255) == 255) std::this_thread::yield();
}

constexpr int kSpinIters = 20000;  // ~ a millisecond before sleeping

inline uint32_t epoch_of(uint64_t generation) { return static_cast<uint32_t>(generation >> 1); }

}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads <= 0) n_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  n_threads_ = n_threads;
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_.store(true, std::memory_order_release);
    generation_.fetch_add(2, std::memory_order_release);
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::record_error() {
  std::lock_guard<std::mutex> lock(error_mu_);
  if (!error_) error_ = std::current_exception();
}

void ThreadPool::run_chunk(int index) {
  const int64_t begin = n_ * index / n_threads_;
  const int64_t end = n_ * (index + 1) / n_threads_;
  if (begin >= end) return;
  try {
    (*fn_)(begin, end, index);
  } catch (...) {
    record_error();
  }
}

// Ticket layout: epoch (24 bits) | chunks (20 bits) | next chunk (20 bits), one atomic,
// so a claim succeeds only for a live chunk of the job `epoch`: a late worker can never
// touch a later job, and fn_/n_/grain_ stay valid for a claimed chunk because the
// caller waits for done_ == chunks.
constexpr uint64_t kField = (uint64_t(1) << 20) - 1;

void ThreadPool::run_dynamic(uint32_t epoch, int thread) {
  uint64_t t = ticket_.load(std::memory_order_acquire);
  for (;;) {
    if (static_cast<uint32_t>(t >> 40) != (epoch & 0xFFFFFFu)) return;
    const int64_t chunk = static_cast<int64_t>(t & kField), chunks = static_cast<int64_t>((t >> 20) & kField);
    if (chunk >= chunks) return;
    if (!ticket_.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    const int64_t begin = chunk * grain_, end = std::min(n_, begin + grain_);
    try {
      (*fn_)(begin, end, thread);
    } catch (...) {
      record_error();
    }
    done_.fetch_add(1, std::memory_order_acq_rel);
    t = ticket_.load(std::memory_order_acquire);
  }
}

void ThreadPool::worker(int index) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t gen = generation_.load(std::memory_order_acquire);
    for (int spin = 0; gen == seen && spin < kSpinIters; ++spin) {
      cpu_relax(spin);
      gen = generation_.load(std::memory_order_acquire);
    }
    if (gen == seen) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      gen = generation_.load(std::memory_order_acquire);
    }
    seen = gen;
    if (stop_.load(std::memory_order_acquire)) return;
    if (gen & 1) {
      run_dynamic(epoch_of(gen), index);
    } else {
      run_chunk(index);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }
}

void ThreadPool::publish(bool dynamic) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t g = generation_.load(std::memory_order_relaxed);
    const uint64_t next = ((g >> 1) + 1) << 1 | (dynamic ? 1u : 0u);
    if (dynamic)
      ticket_.store((static_cast<uint64_t>(epoch_of(next) & 0xFFFFFFu) << 40) | (static_cast<uint64_t>(chunks_) << 20),
                    std::memory_order_release);
    generation_.store(next, std::memory_order_release);
  }
  cv_.notify_all();
}

void ThreadPool::parallel_for(int64_t n, const Fn& fn) {
  if (n <= 0) return;
  if (n_threads_ == 1 || n == 1) {
    fn(0, n, 0);
    return;
  }
  fn_ = &fn;
  n_ = n;
  error_ = nullptr;
  pending_.store(n_threads_ - 1, std::memory_order_release);
  publish(false);
  run_chunk(0);
  for (int spin = 0; pending_.load(std::memory_order_acquire) != 0; ++spin) cpu_relax(spin);
  fn_ = nullptr;
  if (error_) std::rethrow_exception(error_);
}

void ThreadPool::parallel_for_dynamic(int64_t n, int64_t grain, const Fn& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>({int64_t(1), grain, (n + int64_t(kField) - 1) / int64_t(kField)});
  const int64_t chunks = (n + grain - 1) / grain;
  if (n_threads_ == 1 || chunks == 1) {
    fn(0, n, 0);
    return;
  }
  fn_ = &fn;
  n_ = n;
  grain_ = grain;
  chunks_ = chunks;
  error_ = nullptr;
  done_.store(0, std::memory_order_release);
  publish(true);
  run_dynamic(epoch_of(generation_.load(std::memory_order_acquire)), 0);
  for (int spin = 0; done_.load(std::memory_order_acquire) != chunks; ++spin) cpu_relax(spin);
  fn_ = nullptr;
  if (error_) std::rethrow_exception(error_);
}

}  // namespace ys::cpu
