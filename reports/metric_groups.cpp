#include "reports/metric_groups.h"

#include <algorithm>
#include <cmath>

namespace ys::reports {
namespace {

constexpr double kZ95 = 1.959964;

int rank(MetricGroup g) { return static_cast<int>(g); }

}  // namespace

SampleGroups sample_groups(const std::vector<SampleView>& samples) {
  SampleGroups g;
  for (const auto& s : samples) {
    size_t slash = s.doc_id.find('/');
    if (slash != std::string::npos && slash > 0) g.prefixes.insert(s.doc_id.substr(0, slash));
    if (!s.category.empty()) g.categories.insert(s.category);
  }
  return g;
}

MetricGroup metric_group(const std::string& name, bool headline, const SampleGroups& g) {
  if (headline) return MetricGroup::headline;
  size_t slash = name.find('/');
  if (slash == std::string::npos) return MetricGroup::aggregate;
  const std::string x = name.substr(slash + 1);
  if (g.categories.count(x)) return MetricGroup::category;
  if (g.prefixes.count(x)) return MetricGroup::subject;
  return MetricGroup::aggregate;
}

const char* metric_group_name(MetricGroup g) {
  switch (g) {
    case MetricGroup::headline: return "headline";
    case MetricGroup::category: return "category";
    case MetricGroup::aggregate: return "aggregate";
    case MetricGroup::subject: return "subject";
  }
  return "aggregate";
}

bool metric_order_less(const std::string& a, MetricGroup ga, const std::string& b, MetricGroup gb) {
  if (ga != gb) return rank(ga) < rank(gb);
  if (ga == MetricGroup::category) {  // "other" is the rest: it goes last
    auto other = [](const std::string& n) { return n.size() >= 6 && n.compare(n.size() - 6, 6, "/other") == 0; };
    if (other(a) != other(b)) return other(b);
  }
  return a < b;
}

Interval wilson_interval(double k, double n) {
  if (!(n > 0)) return {0, 1, "wilson"};
  const double p = k / n, z2 = kZ95 * kZ95;
  const double center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const double half = kZ95 * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
  return {std::max(0.0, center - half), std::min(1.0, center + half), "wilson"};
}

std::optional<Interval> metric_interval(const store::MetricRecord& m, const std::vector<double>& doc_scores,
                                        bool fraction) {
  // The plain mean of n 0/1 scores: the Wilson interval, which stays honest at 0 of 3 or 57 of 57.
  if (!doc_scores.empty() && static_cast<int64_t>(doc_scores.size()) == m.n) {
    double k = 0;
    bool binary = true;
    for (double x : doc_scores) {
      binary = binary && (x == 0.0 || x == 1.0);
      k += x;
    }
    if (binary && std::fabs(k / static_cast<double>(doc_scores.size()) - m.value) <= 1e-9)
      return wilson_interval(k, static_cast<double>(doc_scores.size()));
  }
  if (m.std_err && std::isfinite(*m.std_err)) {
    Interval iv{m.value - kZ95 * *m.std_err, m.value + kZ95 * *m.std_err, "normal"};
    if (fraction) iv.lo = std::max(0.0, iv.lo), iv.hi = std::min(1.0, iv.hi);
    return iv;
  }
  return std::nullopt;
}

}  // namespace ys::reports
