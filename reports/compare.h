// Side-by-side comparison of runs: every metric of every run, and for each run after the
// first its difference from the first, with a 95% interval and a paired-test p-value
// computed on the per-sample records both runs share (paired_tests.h). Also the per-doc
// "flips" between two runs, and the numerical drift of each run from the first (drift.h).
#pragma once

#include "reports/drift.h"
#include "reports/metric_groups.h"
#include "reports/paired_tests.h"
#include "reports/run_data.h"

#include <optional>
#include <string>
#include <vector>

namespace ys::reports {

// How a metric reads: higher is better unless the name says loss-like (ppl, perplexity,
// kl, ter, loss, nll); fraction metrics (values in 0..1 and not BLEU/chrF) are shown
// in percent and their differences in percentage points.
bool higher_is_better(const std::string& metric);
bool is_fraction_metric(const std::string& metric, double a, double b);

// The paired test of one metric between two runs, on the documents both have; nullopt
// when the samples do not carry that metric (e.g. pass@10, or a metric of a file).
// Metric -> samples: a score key of the same name; "bleu"/"chrf" from the segment
// statistics (paired bootstrap of the corpus score); "key/G" -> score "key" of the
// documents whose id starts with "G/" (a subject) or whose sample category is G (MMLU's
// "acc/stem").
std::optional<PairedResult> paired_for_metric(const RunData& base, const RunData& cand, const std::string& metric);

// Refuses (ys::Error invalid_input, naming the field) runs whose suite, protocol_version,
// dataset sha256s or sample sets differ, unless allow; then the difference goes to notes.
void check_compatible(const RunData& base, const RunData& cand, bool allow, std::vector<std::string>* notes);

struct MetricCell {
  bool present = false;
  double value = 0;
  std::optional<double> std_err;
  int64_t n = 0;
};

struct MetricRow {
  std::string name;
  bool headline = false;
  MetricGroup group = MetricGroup::aggregate;
  std::vector<MetricCell> cells;                    // one per run
  std::vector<std::optional<PairedResult>> diffs;   // one per run; [0] is always empty
  bool fraction = false;
};

struct PerfRow {
  std::string name;  // "tokens/s", "wall time", or a perf_results name
  std::string unit;
  std::vector<std::optional<double>> values;  // one per run
  std::vector<std::optional<double>> spread;  // stddev across repetitions when known
};

struct Comparison {
  std::vector<RunData> runs;        // runs[0] is the reference
  std::vector<std::string> labels;  // column label per run (--by attribute or short id)
  std::vector<MetricRow> metrics;   // headline, categories, aggregates, subjects (metric_order_less)
  std::vector<PerfRow> perf;
  std::vector<std::optional<Drift>> drift;  // one per run; [0] is always empty
  std::vector<std::string> notes;   // mismatches allowed with --allow-mismatch
  std::string by;                   // the --by attribute, or ""
};

Comparison compare_runs(std::vector<RunData> runs, const std::string& by, bool allow_mismatch);

struct Flip {
  std::string doc_id;
  std::string prompt_hash;
  std::string prompt;
  std::string output_a, output_b;
  std::string target;
  double score_a = 0, score_b = 0;
};

// Documents whose `score_key` differs between a and b (score_key "" = the first key of the
// first headline metric that samples carry).
std::vector<Flip> find_flips(const RunData& a, const RunData& b, std::string score_key);

}  // namespace ys::reports
