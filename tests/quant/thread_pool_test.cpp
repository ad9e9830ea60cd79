#include "engine/backend/cpu/thread_pool.h"
#include "common/error.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

using ys::cpu::ThreadPool;

TEST_CASE("parallel_for covers 0..n-1 once with the static contiguous split") {
  for (int threads : {1, 2, 3, 5}) {
    ThreadPool pool(threads);
    CHECK(pool.size() == threads);
    for (int64_t n : {0, 1, 2, 7, 100, 1001}) {
      std::vector<int> hits(static_cast<size_t>(n), 0);
      std::vector<int> owner(static_cast<size_t>(n), -1);
      pool.parallel_for(n, [&](int64_t b, int64_t e, int th) {
        for (int64_t i = b; i < e; ++i) {
          ++hits[i];
          owner[i] = th;
        }
      });
      for (int64_t i = 0; i < n; ++i) {
        REQUIRE(hits[i] == 1);
        // chunk i = [n*i/T, n*(i+1)/T)
        if (n > 1) REQUIRE(owner[i] == static_cast<int>(((i + 1) * threads - 1) / n));
      }
    }
  }
}

TEST_CASE("parallel_for runs on several OS threads and rethrows errors") {
  ThreadPool pool(3);
  for (int rep = 0; rep < 200; ++rep) {  // reuse: no thread creation per call
    std::atomic<int> sum{0};
    pool.parallel_for(300, [&](int64_t b, int64_t e, int) { sum += static_cast<int>(e - b); });
    REQUIRE(sum == 300);
  }
  std::set<std::thread::id> ids;
  std::mutex mu;
  pool.parallel_for(3, [&](int64_t, int64_t, int) {
    std::lock_guard<std::mutex> l(mu);
    ids.insert(std::this_thread::get_id());
  });
  CHECK(ids.size() == 3);
  CHECK_THROWS_AS(pool.parallel_for(9, [](int64_t b, int64_t, int) {
    if (b > 0) throw std::runtime_error("boom");
  }), std::runtime_error);
  std::atomic<int> after{0};
  pool.parallel_for(9, [&](int64_t b, int64_t e, int) { after += static_cast<int>(e - b); });
  CHECK(after == 9);
  ThreadPool dflt(0);
  CHECK(dflt.size() >= 1);
}
