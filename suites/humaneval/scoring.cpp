#include "suites/humaneval/humaneval.h"

#include "suites/metrics/pass_at_k.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ys::suites::humaneval {

const std::vector<std::string>& stop_sequences() {
  static const std::vector<std::string> stops = {"\nclass", "\ndef", "\n#", "\nif", "\nprint"};
  return stops;
}

std::string build_program(const datasets::HumanEvalProblem& p, const std::string& completion) {
  return p.prompt + completion + "\n" + p.test + "\n" + "check(" + p.entry_point + ")";
}

std::string result_string(const RunResult& r) {
  switch (r.outcome) {
    case Outcome::passed: return "passed";
    case Outcome::timed_out: return "timed out";
    case Outcome::killed: return "killed: " + r.detail;
    case Outcome::failed: return "failed: " + r.detail;
    case Outcome::sandbox_error: return "sandbox error: " + r.detail;  // never scored
  }
  return "failed";
}

std::vector<Metric> pass_at_k_metrics(const std::vector<int64_t>& n, const std::vector<int64_t>& c) {
  std::vector<Metric> out;
  if (n.empty()) return out;
  int64_t min_n = *std::min_element(n.begin(), n.end());
  for (int64_t k : {1, 10, 100}) {
    if (k > min_n) continue;
    std::vector<double> per;
    per.reserve(n.size());
    for (size_t i = 0; i < n.size(); ++i) per.push_back(metrics::pass_at_k(n[i], c[i], k));
    double mean = 0;
    for (double v : per) mean += v;
    mean /= static_cast<double>(per.size());
    double se = std::numeric_limits<double>::quiet_NaN();
    if (per.size() > 1) {
      double ss = 0;
      for (double v : per) ss += (v - mean) * (v - mean);
      se = std::sqrt(ss / static_cast<double>(per.size() - 1)) / std::sqrt(static_cast<double>(per.size()));
    }
    Metric m;
    m.name = "pass@" + std::to_string(k);
    m.value = mean;
    m.stderr_ = se;
    m.n = static_cast<int64_t>(per.size());
    m.headline = k == 1;
    out.push_back(m);
  }
  return out;
}

}  // namespace ys::suites::humaneval
