// MMLU aggregation (see mmlu_aggregate.h).
#include "suites/mmlu/mmlu_aggregate.h"

#include "common/error.h"
#include "datasets/mmlu.h"
#include "suites/metrics/stats.h"

#include <cmath>
#include <limits>
#include <map>

namespace ys::suites {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct Group {
  double value = 0;
  double se = kNaN;
  int64_t n = 0;
};

// Size-weighted mean and pooled stderr of leaf groups.
Metric pool(const std::string& name, const std::vector<Group>& leaves) {
  Metric m;
  m.name = name;
  std::vector<double> values, ses;
  std::vector<int64_t> sizes;
  for (const Group& g : leaves) {
    m.n += g.n;
    values.push_back(g.value);
    ses.push_back(g.se);
    sizes.push_back(g.n);
  }
  m.value = metrics::weighted_mean(values, sizes);
  m.stderr_ = metrics::pooled_sample_stderr(ses, sizes);
  return m;
}

}  // namespace

std::vector<Metric> aggregate_mmlu(const std::vector<Sample>& samples) {
  std::map<std::string, std::vector<double>> by_subject;
  for (const Sample& s : samples) {
    auto slash = s.doc_id.find('/');
    std::string subject = s.doc_id.substr(0, slash);
    auto it = s.scores.find("acc");
    if (slash == std::string::npos || it == s.scores.end())
      fail(ErrorKind::invalid_input, "MMLU sample '{}' has no subject prefix or no 'acc' score", s.doc_id);
    datasets::require_mmlu_subject(subject);
    by_subject[subject].push_back(it->second);
  }
  std::vector<Metric> out;
  std::vector<Group> all;
  std::map<std::string, std::vector<Group>> by_category;
  std::vector<double> subject_means, subject_ses;
  for (const auto& [subject, xs] : by_subject) {
    Group g{metrics::mean(xs), metrics::mean_stderr(xs), static_cast<int64_t>(xs.size())};
    all.push_back(g);
    by_category[datasets::mmlu_category(subject)].push_back(g);
    subject_means.push_back(g.value);
    subject_ses.push_back(g.se);
    out.push_back({"acc/" + subject, g.value, g.se, g.n, false});
  }
  Metric head = pool("acc", all);
  head.headline = true;
  out.insert(out.begin(), head);
  for (const std::string& cat : datasets::mmlu_categories()) {
    auto it = by_category.find(cat);
    if (it != by_category.end()) out.push_back(pool("acc/" + cat, it->second));
  }
  Metric macro;
  macro.name = "acc_macro";
  macro.value = metrics::mean(subject_means);
  double ss = 0;
  for (double se : subject_ses) ss += se * se;
  macro.stderr_ = subject_ses.empty() ? kNaN : std::sqrt(ss) / static_cast<double>(subject_ses.size());
  macro.n = head.n;
  out.push_back(macro);
  return out;
}

}  // namespace ys::suites
