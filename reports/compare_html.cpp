// The HTML rendering of a Comparison (compare_report.h). The page reads top-down: which runs,
// then pictures (the difference of each run from the reference on the headline metric and
// each category, with 95% intervals; accuracy against throughput), then the tables, with
// per-subject rows folded into a <details>. Each section is one function returning its HTML
// (or "" when it has nothing to show), listed once in compare_html().
#include "reports/compare_report.h"
#include "reports/escape.h"
#include "reports/html_page.h"
#include "reports/svg.h"

#include <fmt/format.h>

namespace ys::reports {
namespace {

constexpr size_t kMaxFlips = 200;

double scale(bool fraction) { return fraction ? 100.0 : 1.0; }

std::string header_html(const Comparison& c) {
  std::string b = "<h1>Yardstick comparison</h1>\n<ul class=\"meta\">\n";
  for (size_t i = 0; i < c.runs.size(); ++i)
    b += fmt::format("<li><b>{}</b>{}: {}</li>\n", html_escape(c.labels[i]), i == 0 ? " (reference)" : "",
                     html_escape(detail::run_caption(c.runs[i])));
  b += "</ul>\n";
  for (const auto& n : c.notes) b += "<p class=\"note\">" + html_escape(n) + "</p>\n";
  return b;
}

// +1 when the run is significantly better than the reference, -1 worse, 0 undecided.
int verdict(const MetricRow& row, const PairedResult& d) {
  const int sign = d.ci_lo > 0 ? 1 : d.ci_hi < 0 ? -1 : 0;
  return higher_is_better(row.name) ? sign : -sign;
}

std::string forest_html(const Comparison& c) {
  std::vector<ForestRow> rows[2];  // [fraction metrics (points), other metrics (own units)]
  for (const auto& row : c.metrics) {
    if (row.group != MetricGroup::headline && row.group != MetricGroup::category) continue;
    const double s = scale(row.fraction);
    const std::string group = row.name + (row.group == MetricGroup::headline ? " (headline)" : "");
    for (size_t i = 1; i < row.diffs.size(); ++i) {
      if (!row.diffs[i]) continue;
      const PairedResult& d = *row.diffs[i];
      rows[row.fraction ? 0 : 1].push_back({group, c.labels[i], d.delta * s, d.ci_lo * s, d.ci_hi * s, i, verdict(row, d)});
    }
  }
  if (rows[0].empty() && rows[1].empty()) return "";
  std::string b;
  const std::string ref = c.labels.empty() ? "" : c.labels[0];
  if (!rows[0].empty())
    b += svg_forest(rows[0], "Difference from the reference (" + ref + ")", "Δ = run − reference (percentage points), 95% interval");
  if (!rows[1].empty())
    b += svg_forest(rows[1], "Difference from the reference (" + ref + ")", "Δ = run − reference (metric units), 95% interval");
  return b + "<p class=\"meta\">Square: the difference on the documents both runs share; bar: its 95% interval (Wald "
             "interval of the paired difference for 0/1 scores, paired bootstrap otherwise). An interval that does not "
             "cross the dashed zero line is a significant difference (green: better, red: worse).</p>\n";
}

std::vector<double> doc_scores(const RunData& r, const std::string& key) {
  std::vector<double> v;
  for (const auto& s : r.samples) {
    auto it = s.scores.find(key);
    if (it == s.scores.end()) return {};
    v.push_back(it->second);
  }
  return v;
}

std::string scatter_html(const Comparison& c) {
  const MetricRow* head = nullptr;
  for (const auto& row : c.metrics)
    if (row.group == MetricGroup::headline && !head) head = &row;
  if (!head || c.perf.empty()) return "";
  const double s = scale(head->fraction);
  std::vector<Point> pts;
  for (size_t i = 0; i < c.runs.size(); ++i) {
    const store::MetricRecord* m = c.runs[i].metric(head->name);
    if (!m || !c.perf[0].values[i]) continue;
    Point p{*c.perf[0].values[i], m->value * s, c.labels[i], c.labels[i], std::nullopt, std::nullopt};
    if (auto iv = metric_interval(*m, doc_scores(c.runs[i], head->name), head->fraction)) p.y_lo = iv->lo * s, p.y_hi = iv->hi * s;
    pts.push_back(p);
  }
  if (pts.empty()) return "";
  return svg_scatter(pts, head->name + " vs throughput", "throughput (tokens/s)",
                     head->name + (head->fraction ? " (%)" : "") + ", 95% interval") +
         "<p class=\"meta\">Throughput = tokens processed ÷ wall time of the run. Up and to the right is better.</p>\n";
}

std::string glance_html(const Comparison& c) {
  std::string b = forest_html(c) + scatter_html(c);
  return b.empty() ? "" : "<h2>At a glance</h2>\n" + b;
}

std::string value_cell(const MetricCell& cell, bool fraction) {
  if (!cell.present) return "-";
  return metric_value_text(cell, fraction) + fmt::format("<br><small>n={}</small>", cell.n);
}

std::string diff_cell(const MetricRow& row, size_t i) {
  std::string v = metric_value_text(row.cells[i], row.fraction);
  if (!row.diffs[i]) return v + (row.cells[i].present ? fmt::format("<br><small>n={}</small>", row.cells[i].n) : "");
  const PairedResult& d = *row.diffs[i];
  const int vd = verdict(row, d);
  const double s = scale(row.fraction);
  return v + fmt::format("<br><span class=\"{}\">Δ {:+.2f} [{:+.2f}, {:+.2f}]</span><br><small>p {} · n={}</small>",
                         vd > 0 ? "pass" : vd < 0 ? "fail" : "", d.delta * s, d.ci_lo * s, d.ci_hi * s, html_escape(p_value(d.p)), d.n);
}

std::string metric_table(const Comparison& c, const std::string& id, bool subjects) {
  std::string b = "<div class=\"tw\"><table id=\"" + id + "\" class=\"cmp\"><thead><tr><th>metric</th>";
  for (size_t i = 0; i < c.labels.size(); ++i)
    b += "<th>" + html_escape(c.labels[i]) + (i == 0 ? " <small>(reference)</small>" : "") + "</th>";
  b += "</tr></thead><tbody>\n";
  size_t rows = 0;
  for (const auto& row : c.metrics) {
    if ((row.group == MetricGroup::subject) != subjects) continue;
    ++rows;
    b += "<tr><td>" + std::string(row.headline ? "<b>" : "") + html_escape(row.name) + (row.headline ? "</b>" : "") + "</td>";
    b += "<td class=\"n\">" + value_cell(row.cells[0], row.fraction) + "</td>";
    for (size_t i = 1; i < row.cells.size(); ++i) b += "<td class=\"n\">" + diff_cell(row, i) + "</td>";
    b += "</tr>\n";
  }
  return rows ? b + "</tbody></table></div>\n" : "";
}

std::string metrics_html(const Comparison& c) {
  std::string b = "<h2>Metrics</h2>\n<p class=\"meta\">Fraction metrics in %, ± stderr. Under each run: Δ = run − "
                  "reference in points with its 95% interval, the two-sided paired p (McNemar exact for 0/1 scores, "
                  "paired bootstrap otherwise) and the number of shared documents.</p>\n" +
                  metric_table(c, "metrics", false);
  size_t subjects = 0;
  for (const auto& row : c.metrics) subjects += row.group == MetricGroup::subject;
  if (subjects)
    b += fmt::format("<details id=\"subjects\"><summary>Per-subject results ({} rows)</summary>\n", subjects) +
         metric_table(c, "subject-metrics", true) + "</details>\n";
  return b;
}

std::string perf_html(const Comparison& c) {
  std::string b = "<h2>Performance</h2>\n<div class=\"tw\"><table id=\"perf\"><thead><tr><th>measure</th>";
  for (const auto& l : c.labels) b += "<th>" + html_escape(l) + "</th>";
  b += "</tr></thead><tbody>\n";
  for (const auto& p : c.perf) {
    b += "<tr><td>" + html_escape(p.name) + " (" + html_escape(p.unit) + ")</td>";
    for (size_t i = 0; i < p.values.size(); ++i)
      b += "<td class=\"n\">" + num(p.values[i]) + (p.spread[i] ? " ± " + num(p.spread[i]) : "") + "</td>";
    b += "</tr>\n";
  }
  b += "</tbody></table></div>\n";
  std::vector<Bar> tps;
  for (size_t i = 0; i < c.runs.size(); ++i)
    if (!c.perf.empty() && c.perf[0].values[i]) tps.push_back({c.labels[i], *c.perf[0].values[i], std::nullopt, ""});
  if (!tps.empty()) b += svg_bars(tps, "Throughput by run", "tokens/s (tokens ÷ wall time)");
  return b;
}

std::string flips_html(const std::vector<Flip>& flips) {
  std::string b = fmt::format("<h2>Flipped documents ({})</h2>\n<div class=\"tw\"><table id=\"flips\"><thead><tr><th>doc</th>"
                              "<th>prompt hash</th><th>prompt</th><th>output A</th><th>output B</th><th>target</th><th>A→B</th>"
                              "</tr></thead><tbody>\n", flips.size());
  for (size_t i = 0; i < flips.size() && i < kMaxFlips; ++i) {
    const Flip& f = flips[i];
    b += fmt::format("<tr><td>{}</td><td><code>{}</code></td><td><pre>{}</pre></td><td><pre>{}</pre></td><td><pre>{}</pre>"
                     "</td><td><pre>{}</pre></td><td class=\"n\">{:g}→{:g}</td></tr>\n",
                     html_escape(f.doc_id), html_escape(f.prompt_hash), html_escape(one_line(f.prompt, 300)),
                     html_escape(one_line(detail::output_text(f.output_a), 400)),
                     html_escape(one_line(detail::output_text(f.output_b), 400)), html_escape(one_line(f.target, 200)),
                     f.score_a, f.score_b);
  }
  b += "</tbody></table></div>\n";
  if (flips.size() > kMaxFlips) b += fmt::format("<p class=\"meta\">{} more; see --format json.</p>\n", flips.size() - kMaxFlips);
  return b;
}

}  // namespace

std::string compare_html(const Comparison& c, const std::vector<Flip>* flips) {
  const std::string sections[] = {header_html(c),
                                  glance_html(c),
                                  metrics_html(c),
                                  perf_html(c),
                                  c.drift.size() > 1 ? detail::drift_html(c) : "",
                                  flips ? flips_html(*flips) : ""};
  std::string b;
  for (const auto& s : sections) b += s;
  return html_page("Yardstick comparison", b);
}

}  // namespace ys::reports
