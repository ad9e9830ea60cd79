#include "reports/paired_tests.h"

#include <catch2/catch.hpp>

using namespace ys::reports;

// Expected values: 2 * sum_{i<=min(b,c)} C(b+c, i) / 2^(b+c), computed exactly with Python's
// math.comb (integers, no scipy).
TEST_CASE("McNemar exact p-values match exact binomial sums", "[reports][stats]") {
  CHECK(mcnemar_exact_p(0, 0) == 1.0);
  CHECK(mcnemar_exact_p(5, 0) == Approx(0.0625).epsilon(1e-12));
  CHECK(mcnemar_exact_p(0, 5) == Approx(0.0625).epsilon(1e-12));
  CHECK(mcnemar_exact_p(10, 2) == Approx(0.03857421875).epsilon(1e-12));
  CHECK(mcnemar_exact_p(3, 3) == 1.0);
  CHECK(mcnemar_exact_p(1, 9) == Approx(0.021484375).epsilon(1e-12));
  CHECK(mcnemar_exact_p(20, 35) == Approx(0.058064146792409066).epsilon(1e-10));
  CHECK(mcnemar_exact_p(100, 130) == Approx(0.055613577781392386).epsilon(1e-9));
  CHECK_THROWS(mcnemar_exact_p(-1, 2));
}

TEST_CASE("paired_binary counts discordant pairs and brackets the difference", "[reports][stats]") {
  std::vector<double> a = {1, 1, 1, 1, 0, 0, 1, 0, 1, 1};
  std::vector<double> b = {0, 0, 1, 1, 0, 1, 1, 0, 0, 1};
  PairedResult r = paired_binary(a, b);
  CHECK(r.b == 3);
  CHECK(r.c == 1);
  CHECK(r.n == 10);
  CHECK(r.delta == Approx(-0.2));
  CHECK(r.ci_lo < r.delta);
  CHECK(r.ci_hi > r.delta);
  CHECK(r.p == Approx(mcnemar_exact_p(3, 1)));
  CHECK(r.test == "mcnemar-exact");
}

TEST_CASE("paired bootstrap: identical runs give p=1, a large shift is significant", "[reports][stats]") {
  std::vector<double> a, b, c;
  for (int i = 0; i < 200; ++i) {
    double x = (i * 37 % 101) / 100.0;
    a.push_back(x);
    b.push_back(x);
    c.push_back(x - 0.2);
  }
  PairedResult same = paired_mean_bootstrap(a, b);
  CHECK(same.delta == 0.0);
  CHECK(same.p == 1.0);
  PairedResult worse = paired_mean_bootstrap(a, c);
  CHECK(worse.delta == Approx(-0.2));
  CHECK(worse.p < 0.01);
  CHECK(worse.ci_hi < 0);
  // Seeded: the same inputs give the same interval.
  PairedResult again = paired_mean_bootstrap(a, c);
  CHECK(again.ci_lo == worse.ci_lo);
  CHECK(is_binary({0, 1, 1}));
  CHECK_FALSE(is_binary({0, 0.5}));
}
