// The CI regression gate: candidate vs baseline, per metric and per perf number.
//
// Metric gates (--metric NAME --max-drop X). X is in the metric's points: percentage
// points for 0..1 metrics (acc, exact_match, pass@k: "0.5" = 0.5 pp = 0.005 absolute),
// BLEU/chrF points for BLEU/chrF; "X%" is relative to the baseline value ("2%" = a drop of
// 2% of the baseline). A metric FAILS only when BOTH
//   (a) its drop (in the metric's bad direction) is larger than X, and
//   (b) the drop is significant at --alpha on the paired per-sample records (McNemar exact
//       for 0/1 scores, paired bootstrap for BLEU/chrF and other continuous scores); when
//       no per-sample records pair up, an unpaired z-test on the stored stderrs is used;
//       when neither exists, (a) alone decides.
// With no --metric, every headline metric is gated with max-drop 0 (significance alone).
//
// Perf gates (--perf NAME --max-slowdown 5%): NAME is a perf_results name or tokens_per_s
// (tokens / wall_s of the run). The medians are compared; a perf gate FAILS when the
// slowdown (relative, in the bad direction: lower tok/s, higher ms) is larger than the
// threshold AND, when both sides carry a spread (stddev over repetitions), the difference
// is larger than 2*sqrt(sb^2 + sc^2).
#pragma once

#include "reports/run_data.h"

#include <optional>
#include <string>
#include <vector>

namespace ys::reports {

struct Threshold {
  double value = 0;       // points, or a fraction of the baseline when relative
  bool relative = false;
  std::string text;       // as given
};
// "0.5", "0.5pp", "2%". Throws ys::Error(invalid_input) naming flag on a bad value.
Threshold parse_threshold(const std::string& text, const std::string& flag);
// "5%" or "0.05" -> 0.05 (a fraction).
double parse_fraction(const std::string& text, const std::string& flag);

struct MetricGate {
  std::string metric;
  Threshold max_drop;
};
struct PerfGate {
  std::string name;
  double max_slowdown = 0.05;
  std::string text;
};
struct GateOptions {
  std::vector<MetricGate> metrics;  // empty: every headline metric, max-drop 0
  std::vector<PerfGate> perf;
  double alpha = 0.05;
  bool allow_mismatch = false;
};

struct GateRow {
  std::string kind;  // "metric" | "perf"
  std::string name;
  std::string unit;  // "pp", "points", "tok/s", ...
  std::optional<double> base, cand, delta, ci_lo, ci_hi, p;
  std::string test;  // mcnemar-exact, paired-bootstrap, z-test, spread, none
  std::string threshold;
  bool passed = true;
  std::string why;
};

struct GateResult {
  std::string baseline, candidate;  // ids
  std::vector<GateRow> rows;
  std::vector<std::string> notes;
  double alpha = 0.05;
  bool failed() const;
};

GateResult run_gate(const RunData& base, const RunData& cand, const GateOptions& opt);

std::string gate_text(const GateResult& g);
std::string gate_markdown(const GateResult& g);
std::string gate_junit(const GateResult& g);

}  // namespace ys::reports
