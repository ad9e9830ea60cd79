// parallel_for_dynamic: every index exactly once for any grain and thread count, errors
// rethrown, and static and dynamic jobs interleaved many times (late workers must never
// run a chunk of a later job).
#include "engine/backend/cpu/thread_pool.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <vector>

using ys::cpu::ThreadPool;

TEST_CASE("parallel_for_dynamic covers 0..n-1 exactly once") {
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 5, 64, 1001}) {
      for (int64_t grain : {1, 4, 7, 2000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        pool.parallel_for_dynamic(n, grain, [&](int64_t b, int64_t e, int th) {
          REQUIRE(th >= 0);
          REQUIRE(th < threads);
          if (threads > 1) REQUIRE(e - b <= grain);  // one thread: a single call
          for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
        });
        for (int64_t i = 0; i < n; ++i) REQUIRE(hits[static_cast<size_t>(i)].load() == 1);
      }
    }
  }
}

TEST_CASE("static and dynamic jobs interleave without lost or repeated chunks") {
  ThreadPool pool(3);
  for (int rep = 0; rep < 3000; ++rep) {
    std::atomic<int64_t> sum{0};
    if (rep % 3 == 0) pool.parallel_for(97, [&](int64_t b, int64_t e, int) { sum += e - b; });
    else pool.parallel_for_dynamic(97, 1 + rep % 13, [&](int64_t b, int64_t e, int) { sum += e - b; });
    REQUIRE(sum.load() == 97);
  }
}

TEST_CASE("parallel_for_dynamic rethrows the first error and stays usable") {
  ThreadPool pool(2);
  CHECK_THROWS_AS(pool.parallel_for_dynamic(100, 3, [](int64_t b, int64_t, int) {
    if (b == 42) throw std::runtime_error("boom");
  }), std::runtime_error);
  std::atomic<int64_t> sum{0};
  pool.parallel_for_dynamic(100, 3, [&](int64_t b, int64_t e, int) { sum += e - b; });
  CHECK(sum.load() == 100);
}
