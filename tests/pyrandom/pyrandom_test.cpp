// ys::metrics::PyRandom against CPython 3.11's random.Random (PROTOCOLS.md §1.2 vectors
// and tests/fixtures/lm/pyrandom.json from tools/gen_lm_fixtures.py).
#include "suites/metrics/py_random.h"

#include "common/error.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

using ys::metrics::PyRandom;

namespace {

nlohmann::json fixture() {
  std::ifstream in(std::string(YS_SOURCE_DIR) + "/tests/fixtures/lm/pyrandom.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("PyRandom: PROTOCOLS.md 1.2 vectors") {
  PyRandom r(1234);
  CHECK(r.getrandbits(32) == 4150886329u);
  CHECK(r.getrandbits(32) == 3342196574u);
  CHECK(r.getrandbits(32) == 1892932127u);

  PyRandom s(1234);
  CHECK(s.sample(7473, 5) == std::vector<size_t>{6374, 3610, 957, 61, 742});
  CHECK(s.sample(7473, 5) == std::vector<size_t>{7462, 6610, 4769, 286, 5501});
  CHECK(s.sample(7473, 5) == std::vector<size_t>{5677, 687, 806, 6279, 2905});
}

TEST_CASE("PyRandom: MT19937 is not std::mt19937 seeding") {
  // init_by_array([1234]) differs from init_genrand(1234): the first draw must differ
  // from std::mt19937(1234)'s first output (822569775).
  PyRandom r(1234);
  CHECK(r.genrand_uint32() != 822569775u);
}

TEST_CASE("PyRandom: streams match CPython for every seed") {
  auto fx = fixture();
  for (const auto& st : fx["streams"]) {
    const uint64_t seed = st["seed"].get<uint64_t>();
    INFO("seed " << seed);
    PyRandom a(seed);
    for (const auto& v : st["getrandbits32"]) CHECK(a.genrand_uint32() == v.get<uint32_t>());
    PyRandom b(seed);
    for (const auto& v : st["random_x2p53"]) {
      double x = b.random();
      CHECK(x >= 0.0);
      CHECK(x < 1.0);
      CHECK(static_cast<uint64_t>(x * 9007199254740992.0) == v.get<uint64_t>());
    }
    PyRandom c(seed);
    for (const auto& kv : st["getrandbits"]) CHECK(c.getrandbits(kv[0].get<int>()) == kv[1].get<uint64_t>());
    PyRandom d(seed);
    for (const auto& nv : st["randbelow"]) {
      uint64_t got = d.randbelow(nv[0].get<uint64_t>());
      CHECK(got == nv[1].get<uint64_t>());
      CHECK(got < nv[0].get<uint64_t>());
    }
  }
}

TEST_CASE("PyRandom: sample() pool and set branches match CPython") {
  auto fx = fixture();
  for (const auto& sm : fx["samples"]) {
    const size_t n = sm["n"].get<size_t>(), k = sm["k"].get<size_t>();
    INFO("seed " << sm["seed"] << " n " << n << " k " << k);
    PyRandom r(sm["seed"].get<uint64_t>());
    for (const auto& draw : sm["draws"]) {
      auto got = r.sample(n, k);
      CHECK(got == draw.get<std::vector<size_t>>());
    }
  }
}

TEST_CASE("PyRandom: choices() indices match CPython") {
  auto fx = fixture();
  for (const auto& ch : fx["choices"]) {
    PyRandom r(ch["seed"].get<uint64_t>());
    const size_t n = ch["n"].get<size_t>();
    std::vector<size_t> got;
    for (size_t i = 0; i < ch["k"].get<size_t>(); ++i) got.push_back(r.choice_index(n));
    CHECK(got == ch["indices"].get<std::vector<size_t>>());
  }
}

TEST_CASE("PyRandom: bad arguments are errors") {
  PyRandom r(0);
  CHECK_THROWS_AS(r.sample(3, 4), ys::Error);
  CHECK_THROWS_AS(r.getrandbits(65), ys::Error);
  CHECK_THROWS_AS(r.getrandbits(-1), ys::Error);
  CHECK(r.sample(3, 0).empty());
  CHECK(r.randbelow(1) == 0);
}
