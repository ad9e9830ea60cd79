// The whole-store report (`yardstick report`). It opens with what was asked: the newest
// run of each suite, model and quantization, with its score, 95% interval, n, wall time and
// how far the sample is from a full run (overview_summary.cpp); then every run by model x
// suite x settings, per-run drill-down (MMLU categories and, folded, subjects; HumanEval
// per-problem pass/fail; WMT BLEU per pair), accuracy vs throughput by quantization, the same
// model across hardware, kernel benchmark and perf results.
#pragma once

#include "reports/metric_groups.h"
#include "runner/store/records.h"
#include "runner/store/store.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ys::reports {

struct RunSummary {
  store::RunRecord run;
  std::string model;      // file name
  std::string cpu_model;  // "" when unknown
  std::string threads;
  std::optional<store::MetricRecord> headline;
  std::optional<double> tokens_per_s;
  std::vector<store::MetricRecord> metrics;  // headline, categories, aggregates, subjects
  std::vector<MetricGroup> groups;           // one per metric
  std::vector<store::PerfRecord> perf;
  std::vector<std::pair<std::string, bool>> problems;  // HumanEval: doc id, passed (pass@1 > 0)
  int64_t docs = 0;                     // documents stored (samples)
  std::optional<int64_t> full_docs;     // documents in the whole test set, when known
  std::optional<Interval> headline_ci;  // 95% interval of the headline metric
};

struct Overview {
  std::string db_path;
  std::vector<RunSummary> runs;  // oldest first
  std::vector<store::HardwareRecord> hardware;
  std::vector<store::KernelRecord> kernels;
};

// How many documents the full test set of a run's suite holds (the runner loads the suite's
// data to tell); nullopt when unknown (data absent, or not the data the run used).
using DatasetSizeFn = std::function<std::optional<int64_t>(const store::RunRecord&)>;

Overview load_overview(store::Store& st, const DatasetSizeFn& full_size = nullptr);

// The extrapolation line of the summary, e.g. "57 of 14,042 questions (0.4%); full run ≈
// 28 min here (29.4 s per question in this run)"; "" when the run has no documents.
std::string sample_scope_text(const RunSummary& r);

namespace detail {  // the summary section (overview_summary.cpp), used by overview_render.cpp
std::string summary_html(const Overview& o);
std::string summary_markdown(const Overview& o);
}  // namespace detail

std::string overview_markdown(const Overview& o);
std::string overview_html(const Overview& o);
nlohmann::json overview_json(const Overview& o);

}  // namespace ys::reports
