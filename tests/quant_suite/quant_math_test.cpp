// The quant suite's per-position math against values computed by hand.
#include "suites/quant/quant_suite.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace ys::suites;

TEST_CASE("log_softmax matches the closed form") {
  std::vector<float> logits{1.0f, 2.0f, 3.0f};
  std::vector<double> out;
  log_softmax(logits.data(), 3, out);
  double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  for (int i = 0; i < 3; ++i) CHECK(out[static_cast<size_t>(i)] == Approx(i + 1.0 - lse).epsilon(1e-12));
}

TEST_CASE("KL divergence of identical distributions is zero; known pair matches hand value") {
  std::vector<float> a{0.5f, -1.0f, 2.0f, 0.0f};
  std::vector<double> base, scratch;
  log_softmax(a.data(), 4, base);
  PositionStats same = compare_position(base, 2, a.data(), 4, 1, scratch);
  CHECK(same.kl == Approx(0.0).margin(1e-15));
  CHECK(same.top1_agree);
  CHECK(same.nll_base == Approx(same.nll_cand));

  // P = softmax(0, 0) = (0.5, 0.5); Q = softmax(log 0.9, log 0.1) = (0.9, 0.1).
  std::vector<float> p{0.0f, 0.0f};
  std::vector<float> q{static_cast<float>(std::log(0.9)), static_cast<float>(std::log(0.1))};
  log_softmax(p.data(), 2, base);
  PositionStats st = compare_position(base, 0, q.data(), 2, 1, scratch);
  double expected = 0.5 * std::log(0.5 / 0.9) + 0.5 * std::log(0.5 / 0.1);
  CHECK(st.kl == Approx(expected).epsilon(1e-6));
  CHECK(st.nll_base == Approx(std::log(2.0)).epsilon(1e-12));
  CHECK(st.nll_cand == Approx(-std::log(0.1)).epsilon(1e-6));
  CHECK(st.top1_agree);  // base argmax given as 0 (a tie), candidate argmax 0
}

TEST_CASE("aggregate_quant pools every position of every document") {
  Sample a, b;
  a.output = {{"kl", {0.0, 0.2}}, {"top1_agree", {1, 0}}, {"nll_base", {1.0, 1.0}}, {"nll_candidate", {2.0, 2.0}}};
  b.output = {{"kl", {0.4}}, {"top1_agree", {1}}, {"nll_base", {1.0}}, {"nll_candidate", {2.0}}};
  auto metrics = aggregate_quant({a, b});
  auto get = [&](const std::string& name) {
    for (const Metric& m : metrics) if (m.name == name) return m;
    FAIL("metric " << name << " missing");
    return Metric{};
  };
  CHECK(get("kl_mean").value == Approx(0.2));
  CHECK(get("kl_mean").n == 3);
  CHECK(get("kl_max").value == Approx(0.4));
  CHECK(get("kl_p99").value == Approx(0.4));
  CHECK(get("top1_agreement").value == Approx(2.0 / 3.0));
  CHECK(get("ppl_baseline").value == Approx(std::exp(1.0)));
  CHECK(get("ppl_ratio").value == Approx(std::exp(1.0)));
}
