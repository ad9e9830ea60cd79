#include "reports/compare_report.h"

#include "reports/escape.h"
#include "reports/json_report.h"

#include <fmt/format.h>

namespace ys::reports {
namespace {

using nlohmann::json;

constexpr size_t kMdMaxMetrics = 25;  // a PR comment stays short
constexpr size_t kMaxFlips = 50;

double scale(bool fraction) { return fraction ? 100.0 : 1.0; }

json opt(std::optional<double> v) { return v ? json(*v) : json(nullptr); }

}  // namespace

namespace detail {

std::string run_caption(const RunData& r) {
  return fmt::format("{} · {} · {} · quant {} · threads {}", r.run.id.substr(0, 13), r.run.suite,
                     run_attribute(r, "model"), r.run.quant.empty() ? "-" : r.run.quant,
                     run_attribute(r, "threads").empty() ? "-" : run_attribute(r, "threads"));
}

std::string output_text(const std::string& output_json) {
  json j = json::parse(output_json, nullptr, false);
  if (j.is_object() && j.contains("text") && j["text"].is_string()) return j["text"].get<std::string>();
  if (j.is_array() && !j.empty() && j[0].is_string()) return j[0].get<std::string>();
  return output_json;
}

}  // namespace detail

namespace {

using detail::output_text;
using detail::run_caption;

std::string sci(double v) { return v == 0 ? "0" : fmt::format("{:.3g}", v); }

std::string verdict_label(const Drift& d) {
  const std::string v = d.verdict();
  if (v == "identical") return "bitwise identical";
  if (v == "numeric") return "numeric drift";
  if (v == "changed") return "answers changed";
  return "nothing shared";
}

// The cells of one drift row, in the order of kDriftColumns.
std::vector<std::string> drift_cells(const Drift& d) {
  return {verdict_label(d),
          fmt::format("{}", d.shared),
          fmt::format("{}", d.identical_outputs),
          fmt::format("{}/{}", d.values.differ, d.values.compared),
          sci(d.values.max_abs),
          sci(d.values.mean_abs),
          fmt::format("{}/{}", d.scores.differ, d.scores.compared),
          sci(d.scores.max_abs),
          fmt::format("{}/{}", d.strings.differ, d.strings.compared),
          fmt::format("{}", d.outcome_changed)};
}

const std::vector<std::string> kDriftColumns = {
    "verdict",        "shared docs",    "byte-identical outputs", "output numbers differ", "max abs Δ",
    "mean abs Δ",     "scores differ",  "max abs Δ score",        "texts differ",          "outcomes changed"};

constexpr const char* kDriftExplain =
    "Over the documents both runs share (same doc id and prompt hash): outputs byte for byte; numbers inside "
    "the output JSON (e.g. per-choice loglikelihoods), paired by JSON path, and per-sample scores by |Δ| "
    "(mean over all pairs); string leaves (generated text) and outcomes (the headline score) by equality.";

std::string drift_markdown(const Comparison& c) {
  std::string out = std::string("\n#### Numerical drift vs the reference\n\n") + kDriftExplain + "\n\n| run |";
  for (const auto& h : kDriftColumns) out += " " + h + " |";
  out += "\n|---|";
  for (size_t i = 0; i < kDriftColumns.size(); ++i) out += i == 0 ? "---|" : "---:|";
  out += "\n";
  std::string notes;
  for (size_t i = 1; i < c.drift.size(); ++i) {
    if (!c.drift[i]) continue;
    out += "| " + md_cell(c.labels[i]) + " |";
    for (const auto& cell : drift_cells(*c.drift[i])) out += " " + md_cell(cell) + " |";
    out += "\n";
    notes += "- " + md_cell(c.labels[i]) + ": " + md_cell(c.drift[i]->summary(), 600) + "\n";
  }
  return out + "\n" + notes;
}

}  // namespace

namespace detail {

std::string drift_html(const Comparison& c) {
  std::string b = std::string("<h2>Numerical drift vs the reference</h2>\n<p class=\"meta\">") + html_escape(kDriftExplain) +
                  "</p>\n<div class=\"tw\"><table id=\"drift\"><thead><tr><th>run</th>";
  for (const auto& h : kDriftColumns) b += "<th>" + html_escape(h) + "</th>";
  b += "</tr></thead><tbody>\n";
  std::string notes;
  for (size_t i = 1; i < c.drift.size(); ++i) {
    if (!c.drift[i]) continue;
    const std::string v = c.drift[i]->verdict();
    const char* cls = v == "changed" ? "fail" : v == "identical" ? "pass" : "";
    b += "<tr><td>" + html_escape(c.labels[i]) + "</td>";
    const auto cells = drift_cells(*c.drift[i]);
    for (size_t k = 0; k < cells.size(); ++k)
      b += fmt::format("<td class=\"{}\">{}</td>", k == 0 ? cls : "n", html_escape(cells[k]));
    b += "</tr>\n";
    notes += "<li><b>" + html_escape(c.labels[i]) + "</b>: " + html_escape(c.drift[i]->summary()) + "</li>\n";
  }
  return b + "</tbody></table></div>\n<ul class=\"meta\">\n" + notes + "</ul>\n";
}

}  // namespace detail

std::string metric_value_text(const MetricCell& cell, bool fraction) {
  if (!cell.present) return "-";
  const double s = scale(fraction);
  std::string v = fmt::format("{:.2f}", cell.value * s);
  if (cell.std_err) v += fmt::format(" ± {:.2f}", *cell.std_err * s);
  return v;
}

std::string diff_text(const PairedResult& d, bool fraction) {
  const double s = scale(fraction);
  return fmt::format("{:+.2f} [{:+.2f}, {:+.2f}]", d.delta * s, d.ci_lo * s, d.ci_hi * s);
}

std::string compare_markdown(const Comparison& c, const std::vector<Flip>* flips) {
  std::string out = "### Yardstick comparison\n\n";
  for (size_t i = 0; i < c.runs.size(); ++i)
    out += fmt::format("- **{}**{}: {}\n", md_cell(c.labels[i]), i == 0 ? " (reference)" : "", md_cell(run_caption(c.runs[i]), 200));
  for (const auto& n : c.notes) out += "\n> note: " + md_cell(n, 300) + "\n";
  out += "\nValues: fraction metrics in %, ± stderr; Δ vs the reference in points with 95% CI and paired p "
         "(McNemar exact for 0/1 scores, paired bootstrap otherwise).\n\n| metric |";
  for (const auto& l : c.labels) out += " " + md_cell(l) + " |";
  for (size_t i = 1; i < c.labels.size(); ++i) out += " Δ " + md_cell(c.labels[i]) + " | p |";
  out += "\n|---|";
  for (size_t i = 0; i < c.labels.size(); ++i) out += "---:|";
  for (size_t i = 1; i < c.labels.size(); ++i) out += "---:|---:|";
  out += "\n";
  size_t shown = 0;
  for (const auto& row : c.metrics) {
    if (!row.headline && shown >= kMdMaxMetrics) continue;
    ++shown;
    out += "| " + (row.headline ? "**" + md_cell(row.name) + "**" : md_cell(row.name)) + " |";
    for (const auto& cell : row.cells) out += " " + metric_value_text(cell, row.fraction) + " |";
    for (size_t i = 1; i < row.diffs.size(); ++i)
      out += row.diffs[i] ? fmt::format(" {} | {} |", diff_text(*row.diffs[i], row.fraction), p_value(row.diffs[i]->p))
                          : " - | - |";
    out += "\n";
  }
  if (c.metrics.size() > shown) out += fmt::format("\n_{} more metrics in the HTML/JSON report._\n", c.metrics.size() - shown);
  out += "\n| perf |";
  for (const auto& l : c.labels) out += " " + md_cell(l) + " |";
  out += "\n|---|";
  for (size_t i = 0; i < c.labels.size(); ++i) out += "---:|";
  out += "\n";
  for (const auto& p : c.perf) {
    out += "| " + md_cell(p.name) + " (" + md_cell(p.unit) + ") |";
    for (size_t i = 0; i < p.values.size(); ++i)
      out += " " + num(p.values[i]) + (p.spread[i] ? " ± " + num(p.spread[i]) : "") + " |";
    out += "\n";
  }
  if (c.drift.size() > 1) out += drift_markdown(c);
  if (flips) {
    out += fmt::format("\n#### {} flipped documents\n\n| doc | hash | prompt | output A | output B | target | A→B |\n"
                       "|---|---|---|---|---|---|---|\n", flips->size());
    for (size_t i = 0; i < flips->size() && i < kMaxFlips; ++i) {
      const Flip& f = (*flips)[i];
      out += fmt::format("| {} | {} | {} | {} | {} | {} | {:g}→{:g} |\n", md_cell(f.doc_id), md_cell(f.prompt_hash, 16),
                         md_cell(f.prompt, 60), md_cell(output_text(f.output_a), 40), md_cell(output_text(f.output_b), 40),
                         md_cell(f.target, 30), f.score_a, f.score_b);
    }
    if (flips->size() > kMaxFlips) out += fmt::format("\n_{} more; see --format json._\n", flips->size() - kMaxFlips);
  }
  return out;
}

json compare_json(const Comparison& c, const std::vector<Flip>* flips) {
  json runs = json::array(), metrics = json::array(), perf = json::array();
  for (const auto& r : c.runs) runs.push_back(run_json(r.run, r.hardware ? r.hardware->cpu_model : ""));
  for (const auto& row : c.metrics) {
    json values = json::array(), diffs = json::array();
    for (const auto& cell : row.cells)
      values.push_back(cell.present ? json{{"value", cell.value}, {"stderr", opt(cell.std_err)}, {"n", cell.n}} : json(nullptr));
    for (const auto& d : row.diffs)
      diffs.push_back(d ? json{{"n", d->n}, {"delta", d->delta}, {"ci_low", d->ci_lo}, {"ci_high", d->ci_hi}, {"p", d->p},
                               {"test", d->test}, {"b", d->b}, {"c", d->c}}
                        : json(nullptr));
    metrics.push_back({{"name", row.name}, {"headline", row.headline}, {"group", metric_group_name(row.group)},
                       {"fraction", row.fraction}, {"values", values}, {"diffs", diffs}});
  }
  for (const auto& p : c.perf) {
    json v = json::array(), s = json::array();
    for (size_t i = 0; i < p.values.size(); ++i) v.push_back(opt(p.values[i])), s.push_back(opt(p.spread[i]));
    perf.push_back({{"name", p.name}, {"unit", p.unit}, {"values", v}, {"spread", s}});
  }
  json drift = json::array();
  for (const auto& d : c.drift) drift.push_back(d ? drift_json(*d) : json(nullptr));
  json out = {{"schema", "yardstick-compare"}, {"schema_version", kReportSchemaVersion}, {"by", c.by}, {"runs", runs},
              {"labels", c.labels}, {"notes", c.notes}, {"metrics", metrics}, {"perf", perf}, {"drift", drift}};
  if (flips) {
    out["flips"] = json::array();
    for (const auto& f : *flips)
      out["flips"].push_back({{"doc_id", f.doc_id}, {"prompt_hash", f.prompt_hash}, {"prompt", f.prompt},
                              {"output_a", f.output_a}, {"output_b", f.output_b}, {"target", f.target},
                              {"score_a", f.score_a}, {"score_b", f.score_b}});
  }
  return out;
}

}  // namespace ys::reports
