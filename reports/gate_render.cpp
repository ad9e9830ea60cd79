// Text, Markdown and JUnit XML renderings of a gate result (gate.h).
#include "reports/escape.h"
#include "reports/gate.h"

#include <fmt/format.h>

namespace ys::reports {
namespace {

std::string ci(const GateRow& r) {
  if (!r.ci_lo || !r.ci_hi) return "-";
  return fmt::format("[{}, {}]", signed_num(r.ci_lo), signed_num(r.ci_hi));
}

std::string verdict(const GateRow& r) { return r.passed ? "PASS" : "FAIL"; }

}  // namespace

std::string gate_text(const GateResult& g) {
  std::string out = fmt::format("gate: baseline {} vs candidate {} (alpha {})\n", g.baseline.substr(0, 13),
                                g.candidate.substr(0, 13), g.alpha);
  for (const auto& n : g.notes) out += "note: " + n + "\n";
  out += fmt::format("{:<28} {:>9} {:>9} {:>9} {:>20} {:>8} {:>9} {:<5} {}\n", "metric", "baseline", "candidate",
                     "delta", "95% CI", "p", "threshold", "verdict", "why");
  for (const auto& r : g.rows)
    out += fmt::format("{:<28} {:>9} {:>9} {:>9} {:>20} {:>8} {:>9} {:<5}   {}\n", one_line(r.name, 28), num(r.base),
                       num(r.cand), signed_num(r.delta), ci(r), p_value(r.p), r.threshold, verdict(r), r.why);
  out += g.failed() ? "verdict: FAIL (a gate failed)\n" : "verdict: PASS\n";
  return out;
}

std::string gate_markdown(const GateResult& g) {
  std::string out = fmt::format("### Yardstick gate: {}\n\nbaseline `{}` · candidate `{}` · alpha {}\n\n",
                                g.failed() ? "❌ FAIL" : "✅ PASS", md_cell(g.baseline, 40), md_cell(g.candidate, 40),
                                g.alpha);
  for (const auto& n : g.notes) out += "> note: " + md_cell(n, 300) + "\n\n";
  out += "| metric | baseline | candidate | delta | 95% CI | p | test | threshold | verdict | why |\n";
  out += "|---|---:|---:|---:|---|---:|---|---:|---|---|\n";
  for (const auto& r : g.rows)
    out += fmt::format("| {} | {} | {} | {} {} | {} | {} | {} | {} | {} | {} |\n", md_cell(r.name), num(r.base),
                       num(r.cand), signed_num(r.delta), md_cell(r.unit), ci(r), p_value(r.p), md_cell(r.test),
                       md_cell(r.threshold), r.passed ? "pass" : "**FAIL**", md_cell(r.why, 160));
  return out;
}

std::string gate_junit(const GateResult& g) {
  size_t failures = 0;
  for (const auto& r : g.rows) failures += r.passed ? 0 : 1;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += fmt::format("<testsuites name=\"yardstick-gate\" tests=\"{}\" failures=\"{}\">\n", g.rows.size(), failures);
  out += fmt::format("  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\">\n",
                     html_escape("gate " + g.baseline + " -> " + g.candidate), g.rows.size(), failures);
  for (const auto& r : g.rows) {
    std::string detail = fmt::format("baseline={} candidate={} delta={} {} ci={} p={} test={} threshold={}: {}",
                                     num(r.base), num(r.cand), signed_num(r.delta), r.unit, ci(r), p_value(r.p), r.test,
                                     r.threshold, r.why);
    out += fmt::format("    <testcase classname=\"yardstick.gate.{}\" name=\"{}\">\n", r.kind, html_escape(r.name));
    if (!r.passed)
      out += fmt::format("      <failure message=\"{}\">{}</failure>\n", html_escape(r.why), html_escape(detail));
    else
      out += fmt::format("      <system-out>{}</system-out>\n", html_escape(detail));
    out += "    </testcase>\n";
  }
  out += "  </testsuite>\n</testsuites>\n";
  return out;
}

}  // namespace ys::reports
