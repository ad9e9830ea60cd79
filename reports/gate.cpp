#include "reports/gate.h"

#include "common/error.h"
#include "reports/compare.h"

#include <cmath>

namespace ys::reports {
namespace {

double parse_number(const std::string& s, const std::string& flag, const std::string& whole) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != s.size() || !std::isfinite(v) || v < 0)
    fail(ErrorKind::invalid_input, "{}: expected a non-negative number like 0.5, 0.5pp or 2%, got \"{}\"", flag, whole);
  return v;
}

bool ends_with(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}

double normal_two_sided_p(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

GateRow metric_row(const RunData& base, const RunData& cand, const MetricGate& g, double alpha) {
  GateRow row;
  row.kind = "metric";
  row.name = g.metric;
  row.threshold = g.max_drop.text.empty() ? "0" : g.max_drop.text;
  const auto* mb = base.metric(g.metric);
  const auto* mc = cand.metric(g.metric);
  if (!mb || !mc) {
    row.passed = false;
    row.why = fmt::format("metric missing in the {}", !mb ? "baseline" : "candidate");
    return row;
  }
  const bool fraction = is_fraction_metric(g.metric, mb->value, mc->value);
  const double scale = fraction ? 100.0 : 1.0;
  row.unit = fraction ? "pp" : "points";
  row.base = mb->value * scale;
  row.cand = mc->value * scale;
  row.delta = (mc->value - mb->value) * scale;
  const double sign = higher_is_better(g.metric) ? -1.0 : 1.0;
  const double drop = sign * *row.delta;  // > 0: worse
  std::optional<PairedResult> pr = paired_for_metric(base, cand, g.metric);
  if (pr) {
    row.p = pr->p, row.test = pr->test;
    row.ci_lo = pr->ci_lo * scale, row.ci_hi = pr->ci_hi * scale;
  } else if (mb->std_err && mc->std_err && (*mb->std_err > 0 || *mc->std_err > 0)) {
    double se = std::sqrt(*mb->std_err * *mb->std_err + *mc->std_err * *mc->std_err) * scale;
    row.p = normal_two_sided_p(*row.delta / se), row.test = "z-test";
    row.ci_lo = *row.delta - 1.959964 * se, row.ci_hi = *row.delta + 1.959964 * se;
  } else {
    row.test = "none";
  }
  double limit = g.max_drop.relative ? g.max_drop.value * std::fabs(*row.base) : g.max_drop.value;
  bool too_big = drop > limit + 1e-12;
  bool significant = !row.p || *row.p < alpha;
  row.passed = !(too_big && significant);
  if (drop <= 0) row.why = "no drop";
  else if (!too_big) row.why = fmt::format("drop {:.3g} {} within threshold {}", drop, row.unit, row.threshold);
  else if (!significant) row.why = fmt::format("drop {:.3g} {} not significant (p={:.3g} >= {})", drop, row.unit, *row.p, alpha);
  else if (!row.p) row.why = fmt::format("drop {:.3g} {} > {} (no per-sample records or stderr to test)", drop, row.unit, row.threshold);
  else row.why = fmt::format("drop {:.3g} {} > {} and significant (p={:.3g} < {})", drop, row.unit, row.threshold, *row.p, alpha);
  return row;
}

struct PerfValue {
  std::optional<double> v, spread;
  std::string unit;
};

PerfValue perf_value(const RunData& r, const std::string& name) {
  for (const auto& p : r.perf)
    if (p.name == name) return {p.median ? *p.median : p.value, p.repetitions > 1 ? p.stddev : std::nullopt, p.unit};
  if (name == "tokens_per_s" || name == "tokens/s") return {r.tokens_per_s(), std::nullopt, "tok/s"};
  if (name == "wall_s") return {r.run.wall_s, std::nullopt, "s"};
  return {};
}

GateRow perf_row(const RunData& base, const RunData& cand, const PerfGate& g) {
  GateRow row;
  row.kind = "perf";
  row.name = g.name;
  row.threshold = g.text.empty() ? fmt::format("{:g}%", g.max_slowdown * 100) : g.text;
  PerfValue b = perf_value(base, g.name), c = perf_value(cand, g.name);
  row.unit = b.unit.empty() ? c.unit : b.unit;
  if (!b.v || !c.v || *b.v == 0) {
    row.passed = false;
    row.why = fmt::format("perf value missing (or zero) in the {}", !b.v || *b.v == 0 ? "baseline" : "candidate");
    return row;
  }
  row.base = b.v, row.cand = c.v, row.delta = *c.v - *b.v;
  const std::string u = row.unit;
  const bool lower_better = u == "ms" || u == "s" || u == "us" || u == "ns" || u == "bytes" || !higher_is_better(g.name);
  const double slowdown = (lower_better ? *row.delta : -*row.delta) / std::fabs(*b.v);
  bool too_slow = slowdown > g.max_slowdown + 1e-12;
  bool beyond_noise = true;
  row.test = "none";
  if (b.spread && c.spread) {
    double noise = 2.0 * std::sqrt(*b.spread * *b.spread + *c.spread * *c.spread);
    beyond_noise = std::fabs(*row.delta) > noise;
    row.test = "spread";
    row.ci_lo = *row.delta - noise, row.ci_hi = *row.delta + noise;
  }
  row.passed = !(too_slow && beyond_noise);
  if (slowdown <= 0) row.why = "not slower";
  else if (!too_slow) row.why = fmt::format("{:.1f}% slower, within {}", slowdown * 100, row.threshold);
  else if (!beyond_noise) row.why = fmt::format("{:.1f}% slower but within 2x the repetitions' spread", slowdown * 100);
  else row.why = fmt::format("{:.1f}% slower > {}", slowdown * 100, row.threshold);
  return row;
}

}  // namespace

Threshold parse_threshold(const std::string& text, const std::string& flag) {
  Threshold t;
  t.text = text;
  std::string s = text;
  if (ends_with(s, "%")) {
    t.relative = true;
    t.value = parse_number(s.substr(0, s.size() - 1), flag, text) / 100.0;
  } else {
    if (ends_with(s, "pp")) s = s.substr(0, s.size() - 2);
    t.value = parse_number(s, flag, text);
  }
  return t;
}

double parse_fraction(const std::string& text, const std::string& flag) {
  if (ends_with(text, "%")) return parse_number(text.substr(0, text.size() - 1), flag, text) / 100.0;
  double v = parse_number(text, flag, text);
  if (v > 1) fail(ErrorKind::invalid_input, "{}: \"{}\" is ambiguous; write a percentage like 5% or a fraction like 0.05", flag, text);
  return v;
}

bool GateResult::failed() const {
  for (const auto& r : rows)
    if (!r.passed) return true;
  return false;
}

GateResult run_gate(const RunData& base, const RunData& cand, const GateOptions& opt) {
  if (!(opt.alpha > 0 && opt.alpha < 1)) fail(ErrorKind::invalid_input, "--alpha: expected 0 < alpha < 1, got {}", opt.alpha);
  GateResult g;
  g.baseline = base.run.id;
  g.candidate = cand.run.id;
  g.alpha = opt.alpha;
  check_compatible(base, cand, opt.allow_mismatch, &g.notes);
  std::vector<MetricGate> gates = opt.metrics;
  if (gates.empty()) {
    for (const auto& m : base.metrics)
      if (m.headline) gates.push_back({m.name, {0, false, "0"}});
    if (gates.empty() && opt.perf.empty())
      fail(ErrorKind::invalid_input, "gate: baseline run {} has no headline metric; pass --metric NAME", base.run.id);
  }
  for (const auto& m : gates) g.rows.push_back(metric_row(base, cand, m, opt.alpha));
  for (const auto& p : opt.perf) g.rows.push_back(perf_row(base, cand, p));
  return g;
}

}  // namespace ys::reports
