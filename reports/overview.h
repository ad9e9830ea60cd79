// The whole-store report (`yardstick report`): every run by model x suite x settings,
// per-run drill-down (MMLU per-subject bars, HumanEval per-problem pass/fail, WMT BLEU per
// pair), accuracy vs throughput by quantization, the same model across hardware, kernel
// benchmark and perf results.
#pragma once

#include "runner/store/records.h"
#include "runner/store/store.h"

#include <nlohmann/json.hpp>

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
  std::vector<store::MetricRecord> metrics;
  std::vector<store::PerfRecord> perf;
  std::vector<std::pair<std::string, bool>> problems;  // HumanEval: doc id, passed (pass@1 > 0)
};

struct Overview {
  std::string db_path;
  std::vector<RunSummary> runs;  // oldest first
  std::vector<store::HardwareRecord> hardware;
  std::vector<store::KernelRecord> kernels;
};

Overview load_overview(store::Store& st);

std::string overview_markdown(const Overview& o);
std::string overview_html(const Overview& o);
nlohmann::json overview_json(const Overview& o);

}  // namespace ys::reports
