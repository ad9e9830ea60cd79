// Markdown, HTML and JSON renderings of the store overview (overview.h).
#include "reports/compare.h"
#include "reports/escape.h"
#include "reports/html_page.h"
#include "reports/json_report.h"
#include "reports/overview.h"
#include "reports/svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

namespace ys::reports {
namespace {

using nlohmann::json;

bool fraction(const store::MetricRecord& m) { return is_fraction_metric(m.name, m.value, m.value); }

std::string headline_text(const RunSummary& r) {
  if (!r.headline) return "-";
  const double s = fraction(*r.headline) ? 100 : 1;
  return fmt::format("{} {:.2f}", r.headline->name, r.headline->value * s) +
         (r.headline->std_err ? fmt::format(" ± {:.2f}", *r.headline->std_err * s) : "") + (s == 100 ? " %" : "");
}

// Runs stored before the real thread count was recorded say 0 (= all cores).
std::string threads_text(const RunSummary& r) { return r.threads == "0" ? "all" : r.threads; }

std::string kernel_shape(const store::KernelRecord& k) { return one_line(k.shape_json, 60); }

std::string td(const std::string& s, bool numeric = false) {
  return std::string(numeric ? "<td class=\"n\">" : "<td>") + html_escape(s) + "</td>";
}

std::string runs_table_html(const Overview& o) {
  std::string b = "<div class=\"tw\"><table id=\"runs\"><thead><tr><th>model</th><th>suite</th><th>quant</th><th>threads</th>"
                  "<th>hardware</th><th>headline</th><th>n</th><th>tokens/s</th><th>wall (s)</th><th>status</th><th>run</th>"
                  "</tr></thead><tbody>\n";
  for (const auto& r : o.runs)
    b += "<tr>" + td(r.model) + td(r.run.suite) + td(r.run.quant) + td(threads_text(r), true) + td(r.cpu_model) +
         td(headline_text(r), true) + td(r.headline ? std::to_string(r.headline->n) : "-", true) +
         td(num(r.tokens_per_s, 1), true) + td(num(r.run.wall_s, 1), true) + td(r.run.status) +
         "<td><a href=\"#run-" + html_escape(r.run.id) + "\"><code>" + html_escape(r.run.id.substr(0, 8)) + "</code></a></td></tr>\n";
  return b + "</tbody></table></div>\n";
}

std::string accuracy_vs_speed_html(const Overview& o) {
  std::map<std::string, std::vector<Point>> by_suite;
  for (const auto& r : o.runs) {
    if (!r.headline || !r.tokens_per_s) continue;
    double s = fraction(*r.headline) ? 100 : 1;
    Point p{*r.tokens_per_s, r.headline->value * s, r.run.quant.empty() ? "?" : r.run.quant, r.model, std::nullopt,
            std::nullopt};
    if (r.headline_ci) p.y_lo = r.headline_ci->lo * s, p.y_hi = r.headline_ci->hi * s;
    by_suite[r.run.suite + " · " + r.headline->name + (s == 100 ? " (%)" : "")].push_back(p);
  }
  std::string b;
  for (const auto& [title, pts] : by_suite)  // one point is not a comparison: the summary shows it
    if (pts.size() >= 2) b += svg_scatter(pts, "Accuracy vs throughput: " + title, "throughput (tokens/s)", title + ", 95% interval");
  return b.empty() ? "<p class=\"meta\">No suite has two runs with a headline metric and a throughput yet (run it at "
                     "another quantization or on another machine to compare).</p>\n"
                   : b;
}

std::string hardware_html(const Overview& o) {
  std::map<std::string, std::vector<const RunSummary*>> groups;  // model · suite · quant -> runs
  for (const auto& r : o.runs)
    if (r.tokens_per_s) groups[r.model + " · " + r.run.suite + " · " + r.run.quant].push_back(&r);
  std::string b;
  for (const auto& [key, runs] : groups) {
    std::set<std::string> hw;
    for (const auto* r : runs) hw.insert(r->run.hardware_id);
    if (hw.size() < 2) continue;
    std::vector<Bar> bars;
    for (const auto* r : runs)
      bars.push_back({(r->cpu_model.empty() ? r->run.hardware_id.substr(0, 8) : r->cpu_model) + " t=" + r->threads,
                      *r->tokens_per_s, std::nullopt, headline_text(*r)});
    b += svg_bars(bars, "Same model across hardware: " + key, "throughput (tokens/s)");
  }
  return b.empty() ? "<p class=\"meta\">No model was run on more than one machine.</p>\n" : b;
}

std::string drill_down_html(const RunSummary& r, bool open) {
  std::string b = fmt::format("<details id=\"run-{}\"{}><summary>{} · {} · {} · {}</summary>\n", html_escape(r.run.id),
                              open ? " open" : "",
                              html_escape(r.run.suite), html_escape(r.model), html_escape(r.run.quant),
                              html_escape(headline_text(r)));
  b += "<p class=\"meta\">run <code>" + html_escape(r.run.id) + "</code> · created " + html_escape(r.run.created_at) +
       " · protocol " + html_escape(r.run.protocol_version) + " · code " + html_escape(r.run.code_version) + "</p>\n";
  if (!r.run.error.empty()) b += "<p class=\"note\">error: " + html_escape(r.run.error) + "</p>\n";
  std::vector<Bar> categories, subjects;
  std::string table = "<div class=\"tw\"><table class=\"metrics\"><thead><tr><th>metric</th><th>value</th><th>± stderr</th>"
                      "<th>n</th></tr></thead><tbody>\n";
  size_t rows = 0;
  const bool has_categories = std::count(r.groups.begin(), r.groups.end(), MetricGroup::category) > 0;
  for (size_t i = 0; i < r.metrics.size(); ++i) {
    const auto& m = r.metrics[i];
    const MetricGroup g = i < r.groups.size() ? r.groups[i] : MetricGroup::aggregate;
    if (g == MetricGroup::subject || g == MetricGroup::category || (g == MetricGroup::headline && has_categories)) {
      const double s = fraction(m) ? 100 : 1;
      Bar bar{g == MetricGroup::headline ? m.name + " (all)" : m.name, m.value * s,
              m.std_err ? std::optional<double>(*m.std_err * s) : std::nullopt, fmt::format("n={}", m.n)};
      (g == MetricGroup::subject ? subjects : categories).push_back(bar);
    }
    if (g == MetricGroup::subject || (!m.headline && rows >= 12)) continue;  // subjects: folded below
    ++rows;
    table += "<tr>" + td(m.name) + td(fmt::format("{:.4f}", m.value), true) + td(num(m.std_err, 4), true) +
             td(std::to_string(m.n), true) + "</tr>\n";
  }
  if (rows) b += table + "</tbody></table></div>\n";
  for (const auto& p : r.perf)  // benchmark runs: their measures instead of metrics
    if (r.metrics.empty()) b += "<p class=\"meta\">" + html_escape(p.name) + ": " + num(p.median ? *p.median : p.value, 2) + " " +
                                html_escape(p.unit) + (p.stddev ? " ± " + num(p.stddev, 2) : "") + "</p>\n";
  if (r.metrics.size() > rows + subjects.size())
    b += fmt::format("<p class=\"meta\">{} more metrics: yardstick show {}</p>\n", r.metrics.size() - rows - subjects.size(),
                     html_escape(r.run.id));
  if (!categories.empty()) b += svg_bars(categories, "Accuracy by category", "accuracy (%), ± stderr", 100);
  if (!subjects.empty())
    b += fmt::format("<details class=\"subjects\"><summary>Per subject ({})</summary>\n", subjects.size()) +
         svg_bars(subjects, "Accuracy per subject", "accuracy (%), ± stderr", 100) + "</details>\n";
  if (!r.problems.empty()) {
    size_t passed = 0;
    b += "<h3>HumanEval problems (green = pass@1 &gt; 0)</h3>\n<div class=\"grid-cells\">";
    for (const auto& [id, pass] : r.problems) {
      passed += pass ? 1 : 0;
      b += fmt::format("<span class=\"cell {}\" title=\"{}: {}\"></span>", pass ? "p" : "f", html_escape(id), pass ? "pass" : "fail");
    }
    b += fmt::format("</div>\n<p class=\"meta\">{} of {} problems passed</p>\n", passed, r.problems.size());
  }
  return b + "</details>\n";
}

std::string bleu_html(const Overview& o) {
  std::vector<Bar> bars;
  for (const auto& r : o.runs)
    for (const auto& m : r.metrics)
      if (m.name == "bleu" || m.name == "chrf")
        bars.push_back({r.run.suite + " " + m.name + " · " + r.model + " " + r.run.quant, m.value, m.std_err, ""});
  if (bars.empty()) return "";
  return "<h2>Translation (BLEU / chrF per language pair)</h2>\n" +
         svg_bars(bars, "BLEU and chrF per pair", "score (points, 0-100), ± bootstrap stderr");
}

std::string kernels_html(const Overview& o) {
  if (o.kernels.empty()) return "<p class=\"meta\">No kernel benchmark results in this store.</p>\n";
  std::string b = "<div class=\"tw\"><table id=\"kernels\"><thead><tr><th>kernel</th><th>shape</th><th>dtype</th><th>isa</th>"
                  "<th>ns/iter</th><th>GB/s</th><th>GFLOP/s</th><th>peak</th></tr></thead><tbody>\n";
  std::vector<Bar> bars;
  for (const auto& k : o.kernels) {
    std::optional<double> gbs, gfs, pk;
    if (k.bytes_per_s) gbs = *k.bytes_per_s / 1e9;
    if (k.flops_per_s) gfs = *k.flops_per_s / 1e9;
    if (k.peak_fraction) pk = *k.peak_fraction * 100;
    b += "<tr>" + td(k.name) + td(kernel_shape(k)) + td(k.dtype) + td(k.isa) + td(num(k.ns_per_iter, 0), true) +
         td(num(gbs, 2), true) + td(num(gfs, 2), true) + td(pk ? num(pk, 1) + " %" : "-", true) + "</tr>\n";
    if (gbs || gfs) bars.push_back({k.name + " " + k.dtype + " " + k.isa, gfs ? *gfs : *gbs, std::nullopt, gfs ? "GFLOP/s" : "GB/s"});
  }
  b += "</tbody></table></div>\n";
  if (!bars.empty()) b += svg_bars(bars, "Kernel throughput", "GFLOP/s (or GB/s for memory-bound kernels)");
  return b;
}

std::string perf_html(const Overview& o) {
  std::string rows;
  for (const auto& r : o.runs)
    for (const auto& p : r.perf)
      rows += "<tr>" + td(r.model + " " + r.run.quant) + td(p.name) + td(num(p.median ? *p.median : p.value, 3), true) +
              td(p.unit) + td(num(p.stddev, 3), true) + td(std::to_string(p.repetitions), true) + "</tr>\n";
  if (rows.empty()) return "<p class=\"meta\">No perf results in this store.</p>\n";
  return "<div class=\"tw\"><table id=\"perf\"><thead><tr><th>run</th><th>measure</th><th>median</th><th>unit</th>"
         "<th>stddev</th><th>reps</th></tr></thead><tbody>\n" + rows + "</tbody></table></div>\n";
}

}  // namespace

std::string overview_html(const Overview& o) {
  std::string b = "<h1>Yardstick report</h1>\n<p class=\"meta\">store " + html_escape(o.db_path) +
                  fmt::format(" · {} runs · {} machines · {} kernel results</p>\n", o.runs.size(), o.hardware.size(), o.kernels.size());
  b += detail::summary_html(o);
  b += "<h2>Runs: models × suites × settings</h2>\n" + runs_table_html(o);
  b += "<h2>Accuracy vs throughput (labels: quantization)</h2>\n" + accuracy_vs_speed_html(o);
  b += "<h2>Same model across hardware</h2>\n" + hardware_html(o);
  b += bleu_html(o);
  b += "<h2>Per-run details</h2>\n";
  for (const auto& r : o.runs) b += drill_down_html(r, o.runs.size() <= 6);  // small stores print expanded
  b += "<h2>Kernel benchmarks</h2>\n" + kernels_html(o);
  b += "<h2>Perf results</h2>\n" + perf_html(o);
  return html_page("Yardstick report", b);
}

std::string overview_markdown(const Overview& o) {
  std::string out = fmt::format("### Yardstick report\n\nstore `{}` · {} runs · {} machines\n\n", md_cell(o.db_path, 120),
                                o.runs.size(), o.hardware.size());
  out += detail::summary_markdown(o);
  out += "| model | suite | quant | threads | hardware | headline | tokens/s | status | run |\n|---|---|---|---:|---|---:|---:|---|---|\n";
  for (const auto& r : o.runs)
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | `{}` |\n", md_cell(r.model, 40), md_cell(r.run.suite),
                       md_cell(r.run.quant), md_cell(threads_text(r)), md_cell(r.cpu_model, 40), md_cell(headline_text(r)),
                       num(r.tokens_per_s, 1), md_cell(r.run.status), md_cell(r.run.id.substr(0, 8)));
  if (!o.kernels.empty()) {
    out += "\n| kernel | shape | dtype | isa | GB/s | GFLOP/s | peak |\n|---|---|---|---|---:|---:|---:|\n";
    for (const auto& k : o.kernels)
      out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", md_cell(k.name), md_cell(kernel_shape(k)), md_cell(k.dtype),
                         md_cell(k.isa), num(k.bytes_per_s ? std::optional<double>(*k.bytes_per_s / 1e9) : std::nullopt),
                         num(k.flops_per_s ? std::optional<double>(*k.flops_per_s / 1e9) : std::nullopt),
                         k.peak_fraction ? num(*k.peak_fraction * 100, 1) + " %" : "-");
  }
  bool perf = false;
  for (const auto& r : o.runs)
    for (const auto& p : r.perf) {
      if (!perf) out += "\n| run | measure | median | unit | stddev | reps |\n|---|---|---:|---|---:|---:|\n", perf = true;
      out += fmt::format("| {} | {} | {} | {} | {} | {} |\n", md_cell(r.model + " " + r.run.quant, 40), md_cell(p.name),
                         num(p.median ? *p.median : p.value, 3), md_cell(p.unit), num(p.stddev, 3), p.repetitions);
    }
  return out;
}

json overview_json(const Overview& o) {
  json runs = json::array(), hw = json::array(), kernels = json::array();
  for (const auto& r : o.runs) {
    json j = run_json(r.run, r.cpu_model);
    j["headline"] = r.headline ? metric_json(*r.headline) : json(nullptr);
    j["tokens_per_s"] = r.tokens_per_s ? json(*r.tokens_per_s) : json(nullptr);
    j["headline_interval"] = r.headline_ci ? json{{"low", r.headline_ci->lo}, {"high", r.headline_ci->hi},
                                                  {"method", r.headline_ci->method}}
                                           : json(nullptr);
    j["docs"] = r.docs;
    j["full_docs"] = r.full_docs ? json(*r.full_docs) : json(nullptr);
    j["sample_scope"] = sample_scope_text(r);
    j["metrics"] = json::array();
    for (const auto& m : r.metrics) j["metrics"].push_back(metric_json(m));
    j["perf"] = json::array();
    for (const auto& p : r.perf) j["perf"].push_back(perf_json(p));
    j["problems"] = json::array();
    for (const auto& [id, pass] : r.problems) j["problems"].push_back({{"doc_id", id}, {"pass", pass}});
    runs.push_back(j);
  }
  for (const auto& h : o.hardware) {
    json gpus = json::parse(h.gpu_json, nullptr, false);
    hw.push_back({{"id", h.id}, {"cpu_model", h.cpu_model}, {"cores", h.cores}, {"memory_bytes", h.memory_bytes},
                  {"gpus", gpus.is_discarded() ? json::array() : gpus}});
  }
  auto opt = [](std::optional<double> v, double s) { return v ? json(*v / s) : json(nullptr); };
  for (const auto& k : o.kernels) {
    json shape = json::parse(k.shape_json, nullptr, false);
    kernels.push_back({{"name", k.name}, {"shape", shape.is_discarded() ? json(k.shape_json) : shape}, {"dtype", k.dtype},
                       {"isa", k.isa}, {"ns_per_iter", k.ns_per_iter}, {"gb_per_s", opt(k.bytes_per_s, 1e9)},
                       {"gflop_per_s", opt(k.flops_per_s, 1e9)}, {"peak_fraction", opt(k.peak_fraction, 1)},
                       {"run_id", k.run_id}, {"hardware_id", k.hardware_id}});
  }
  return {{"schema", "yardstick-report"}, {"schema_version", kReportSchemaVersion}, {"db", o.db_path},
          {"runs", runs}, {"hardware", hw}, {"kernels", kernels}};
}

}  // namespace ys::reports
