// `yardstick gate --baseline RUN|FILE.json --candidate RUN`: exit 3 when a metric dropped
// by more than its threshold AND significantly (paired per-sample tests), or a perf number
// slowed down beyond its threshold and its noise. Rules in reports/gate.h.
#include "common/error.h"
#include "reports/baseline.h"
#include "reports/gate.h"
#include "reports/json_report.h"
#include "runner/cli.h"

#include <fmt/core.h>

#include <filesystem>

namespace {

using namespace ys::reports;

struct GateArgs {
  std::string db = ys::cli::default_db_path();
  std::string baseline, candidate, junit, md;
  std::vector<std::string> metrics, drops, perf, slowdowns;
  double alpha = 0.05;
  bool allow_mismatch = false;
};

GateOptions options(const GateArgs& a) {
  GateOptions o;
  o.alpha = a.alpha;
  o.allow_mismatch = a.allow_mismatch;
  if (a.drops.size() > a.metrics.size())
    ys::fail(ys::ErrorKind::invalid_input, "--max-drop given {} times but --metric only {} times", a.drops.size(), a.metrics.size());
  for (size_t i = 0; i < a.metrics.size(); ++i) {
    Threshold t = i < a.drops.size() ? parse_threshold(a.drops[i], "--max-drop") : Threshold{0, false, "0"};
    o.metrics.push_back({a.metrics[i], t});
  }
  if (a.slowdowns.size() > a.perf.size())
    ys::fail(ys::ErrorKind::invalid_input, "--max-slowdown given {} times but --perf only {} times", a.slowdowns.size(), a.perf.size());
  for (size_t i = 0; i < a.perf.size(); ++i) {
    std::string text = i < a.slowdowns.size() ? a.slowdowns[i] : "5%";
    o.perf.push_back({a.perf[i], parse_fraction(text, "--max-slowdown"), text});
  }
  return o;
}

int run_gate_cmd(const GateArgs& a) {
  GateOptions opt = options(a);
  const bool base_is_file = a.baseline.size() > 5 && a.baseline.substr(a.baseline.size() - 5) == ".json";
  if (!std::filesystem::exists(a.db))
    ys::fail(ys::ErrorKind::io, "no result database at {} (pass --db or set YARDSTICK_DB)", a.db);
  auto st = ys::store::Store::open(a.db);
  RunData base = base_is_file ? read_baseline_file(a.baseline) : load_run(st, a.baseline);
  if (base.run.status != "done")
    ys::fail(ys::ErrorKind::invalid_input, "--baseline {}: the run is {}, not done", base.run.id, base.run.status);
  RunData cand = load_run(st, a.candidate);
  if (cand.run.status != "done")
    ys::fail(ys::ErrorKind::invalid_input, "--candidate {}: the run is {}, not done", cand.run.id, cand.run.status);
  GateResult g = run_gate(base, cand, opt);
  fmt::print("{}", gate_text(g));
  if (!a.junit.empty()) write_text_file(a.junit, gate_junit(g));
  if (!a.md.empty()) write_text_file(a.md, gate_markdown(g));
  return g.failed() ? ys::cli::kExitGateFailed : ys::cli::kExitOk;
}

ys::cli::Registrar reg("gate", "CI regression gate: exit 3 when a metric drops significantly beyond its threshold",
                       [](CLI::App& app) -> ys::cli::RunFn {
                         auto a = std::make_shared<GateArgs>();
                         app.add_option("--baseline", a->baseline, "Baseline run id, or a FILE.json from `baseline export`")->required();
                         app.add_option("--candidate", a->candidate, "Candidate run id")->required();
                         app.add_option("--metric", a->metrics, "Metric to gate (repeatable; default: every headline metric, max-drop 0)");
                         app.add_option("--max-drop", a->drops,
                                        "Allowed drop for the matching --metric: points (pp for 0..1 metrics: 0.5 = 0.5 pp; "
                                        "BLEU points for BLEU), or N% of the baseline");
                         app.add_option("--perf", a->perf, "Perf number to gate: tokens_per_s, wall_s or a perf_results name");
                         app.add_option("--max-slowdown", a->slowdowns, "Allowed slowdown for the matching --perf, e.g. 5% (default 5%)");
                         app.add_option("--alpha", a->alpha, "Significance level of the paired tests")->capture_default_str();
                         app.add_option("--junit", a->junit, "Also write a JUnit XML report here");
                         app.add_option("--md", a->md, "Also write a Markdown summary here (e.g. $GITHUB_STEP_SUMMARY)");
                         app.add_option("--db", a->db, "Result database (env YARDSTICK_DB)")->capture_default_str();
                         app.add_flag("--allow-mismatch", a->allow_mismatch, "Gate even if suite/protocol/datasets/sample sets differ");
                         return [a] { return run_gate_cmd(*a); };
                       });

}  // namespace
