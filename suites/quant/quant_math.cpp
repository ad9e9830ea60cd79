#include "suites/metrics/stats.h"
#include "suites/quant/quant_suite.h"

#include <algorithm>
#include <cmath>

namespace ys::suites {

void log_softmax(const float* logits, int64_t n, std::vector<double>& out) {
  out.resize(static_cast<size_t>(n));
  double mx = -INFINITY;
  for (int64_t i = 0; i < n; ++i) mx = std::max(mx, static_cast<double>(logits[i]));
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += std::exp(static_cast<double>(logits[i]) - mx);
  double lse = mx + std::log(sum);
  for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = static_cast<double>(logits[i]) - lse;
}

PositionStats compare_position(const std::vector<double>& base_logp, int32_t base_argmax, const float* cand_logits,
                               int64_t n, int32_t target, std::vector<double>& scratch) {
  log_softmax(cand_logits, n, scratch);
  PositionStats st;
  double kl = 0;
  int32_t cand_argmax = 0;
  for (int64_t i = 0; i < n; ++i) {
    auto k = static_cast<size_t>(i);
    double p = std::exp(base_logp[k]);
    if (p > 0) kl += p * (base_logp[k] - scratch[k]);
    if (scratch[k] > scratch[static_cast<size_t>(cand_argmax)]) cand_argmax = static_cast<int32_t>(i);
  }
  st.kl = std::max(0.0, kl);
  st.top1_agree = cand_argmax == base_argmax;
  st.nll_base = -base_logp[static_cast<size_t>(target)];
  st.nll_cand = -scratch[static_cast<size_t>(target)];
  return st;
}

std::vector<Metric> aggregate_quant(const std::vector<Sample>& samples) {
  std::vector<double> kl, agree, nll_b, nll_c;
  for (const Sample& s : samples) {
    for (const auto& v : s.output.at("kl")) kl.push_back(v.get<double>());
    for (const auto& v : s.output.at("top1_agree")) agree.push_back(v.get<double>());
    for (const auto& v : s.output.at("nll_base")) nll_b.push_back(v.get<double>());
    for (const auto& v : s.output.at("nll_candidate")) nll_c.push_back(v.get<double>());
  }
  auto n = static_cast<int64_t>(kl.size());
  std::vector<double> sorted = kl;
  std::sort(sorted.begin(), sorted.end());
  auto quantile = [&](double q) {
    if (sorted.empty()) return std::nan("");
    auto idx = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())) - 1);
    return sorted[std::min(idx, sorted.size() - 1)];
  };
  double ppl_b = std::exp(metrics::mean(nll_b)), ppl_c = std::exp(metrics::mean(nll_c));
  std::vector<Metric> m;
  m.push_back({"kl_mean", metrics::mean(kl), metrics::mean_stderr(kl), n, true});
  m.push_back({"kl_p99", quantile(0.99), NAN, n, false});
  m.push_back({"kl_max", sorted.empty() ? NAN : sorted.back(), NAN, n, false});
  m.push_back({"top1_agreement", metrics::mean(agree), metrics::mean_stderr(agree), n, false});
  m.push_back({"ppl_baseline", ppl_b, NAN, n, false});
  m.push_back({"ppl_candidate", ppl_c, NAN, n, false});
  m.push_back({"ppl_ratio", ppl_c / ppl_b, NAN, n, false});
  return m;
}

}  // namespace ys::suites
