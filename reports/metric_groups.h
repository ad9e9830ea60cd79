// How a run's metrics read: which one is the headline, which are categories (MMLU's
// "acc/stem"), which are per-subject rows ("acc/anatomy") and which are other aggregates
// ("acc_macro"); the order reports list them in; and the 95% interval of a metric.
//
// The grouping comes from the samples, not from a list of suite names: a metric "key/X" is
// a subject row when some document id starts with "X/", a category row when some sample's
// extra field "category" is X (MMLU records both), else an aggregate.
#pragma once

#include "reports/run_data.h"
#include "runner/store/records.h"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ys::reports {

enum class MetricGroup { headline, category, aggregate, subject };

struct SampleGroups {
  std::set<std::string> prefixes;    // "X" of doc ids "X/..."
  std::set<std::string> categories;  // extra "category" values
};

SampleGroups sample_groups(const std::vector<SampleView>& samples);

MetricGroup metric_group(const std::string& name, bool headline, const SampleGroups& g);
const char* metric_group_name(MetricGroup g);  // "headline", "category", "aggregate", "subject"

// Sort key: headline, then categories ("other" last), then aggregates, then subjects; by
// name within a group.
bool metric_order_less(const std::string& a, MetricGroup ga, const std::string& b, MetricGroup gb);

// A metric's 95% interval, in the metric's units.
struct Interval {
  double lo = 0, hi = 0;
  std::string method;  // "normal" (value ± 1.96 stderr) or "wilson" (0/1 scores)
};

// When the metric is the mean of its n per-document scores and they are all 0 or 1
// (accuracy, exact match, pass@1 of one sample): the Wilson score interval, which stays
// meaningful where value ± 1.96 stderr does not (0 of 3 right gives stderr 0; one MMLU
// question per subject leaves the pooled stderr undefined). Otherwise value ± 1.959964
// stderr when the metric has a finite stderr (clipped to [0, 1] for fractions), else nullopt.
std::optional<Interval> metric_interval(const store::MetricRecord& m, const std::vector<double>& doc_scores,
                                        bool fraction);

// Wilson score interval of k successes in n trials (z = 1.959964).
Interval wilson_interval(double k, double n);

}  // namespace ys::reports
