// The opening section of `yardstick report`: what was asked, answered first. One row per
// suite, model and quantization (its newest finished run): the headline score with its 95%
// interval and n, the wall time, and how far the sample is from a full run, extrapolated
// from this run's own time per document.
#include "reports/compare.h"
#include "reports/escape.h"
#include "reports/overview.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace ys::reports {
namespace {

std::string with_commas(int64_t v) {
  std::string d = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i > 0 && (d.size() - i) % 3 == 0) out += ',';
    out += d[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string duration_text(double s) {
  if (!(s >= 0)) return "-";
  if (s < 90) return fmt::format("{:.1f} s", s);
  if (s < 90 * 60) return fmt::format("{:.0f} min", s / 60);
  return fmt::format("{:.1f} h", s / 3600);
}

// What the suite's documents are called.
std::string doc_noun(const std::string& suite) {
  if (suite == "mmlu") return "questions";
  if (suite.rfind("gsm8k", 0) == 0 || suite == "humaneval") return "problems";
  if (suite.rfind("wmt", 0) == 0) return "sentences";
  return "documents";
}

std::string singular(const std::string& noun) { return noun.empty() ? noun : noun.substr(0, noun.size() - 1); }

bool in_summary(const RunSummary& r) {
  return r.run.status == "done" && (r.run.kind == "eval" || (r.run.kind == "bench" && r.run.suite == "perf"));
}

// The newest finished run of each kind, suite, model and quantization, oldest first.
std::vector<const RunSummary*> summary_runs(const Overview& o) {
  std::map<std::string, size_t> newest;
  for (size_t i = 0; i < o.runs.size(); ++i) {
    const RunSummary& r = o.runs[i];
    if (in_summary(r)) newest[r.run.kind + "\n" + r.run.suite + "\n" + r.model + "\n" + r.run.quant] = i;
  }
  std::vector<size_t> idx;
  for (const auto& [key, i] : newest) idx.push_back(i);
  std::sort(idx.begin(), idx.end());
  std::vector<const RunSummary*> out;
  for (size_t i : idx) out.push_back(&o.runs[i]);
  return out;
}

double scale_of(const store::MetricRecord& m) { return is_fraction_metric(m.name, m.value, m.value) ? 100 : 1; }

std::string score_text(const RunSummary& r) {
  if (r.run.kind == "bench") {
    std::string out;
    for (const auto& p : r.perf) {
      if (p.name.rfind("pp", 0) != 0 && p.name.rfind("tg", 0) != 0) continue;
      out += (out.empty() ? "" : " · ") + fmt::format("{} {:.1f} {}", p.name, p.median ? *p.median : p.value, p.unit);
      if (p.stddev) out += fmt::format(" ± {:.1f}", *p.stddev);
    }
    return out.empty() ? "-" : out;
  }
  if (!r.headline) return "-";
  const double s = scale_of(*r.headline);
  return fmt::format("{} {:.2f}{}", r.headline->name, r.headline->value * s, s == 100 ? " %" : "");
}

std::string interval_text(const RunSummary& r) {
  if (!r.headline || !r.headline_ci) return "-";
  const double s = scale_of(*r.headline);
  return fmt::format("[{:.2f}, {:.2f}]{}", r.headline_ci->lo * s, r.headline_ci->hi * s, s == 100 ? " %" : "");
}

std::string n_text(const RunSummary& r) {
  if (r.run.kind == "bench") {
    for (const auto& p : r.perf)
      if (p.name.rfind("pp", 0) == 0 || p.name.rfind("tg", 0) == 0) return fmt::format("{} reps", p.repetitions);
    return "-";
  }
  return r.headline ? with_commas(r.headline->n) : "-";
}

std::string setting_text(const RunSummary& r) {
  std::string t = r.threads.empty() || r.threads == "0" ? "all cores" : r.threads + " threads";
  return r.model + " · " + (r.run.quant.empty() ? "-" : r.run.quant) + " · " + t;
}

std::string suite_text(const RunSummary& r) { return r.run.kind == "bench" ? "engine benchmark" : r.run.suite; }

}  // namespace

std::string sample_scope_text(const RunSummary& r) {
  if (r.docs <= 0) return "";
  const std::string noun = doc_noun(r.run.suite);
  if (!r.full_docs || *r.full_docs <= 0)
    return fmt::format("{} {}; the size of the full test set is unknown here (its data are not in the data dir, or "
                       "differ from the run's)", with_commas(r.docs), noun);
  if (r.docs >= *r.full_docs) return fmt::format("all {} {}: a full run", with_commas(*r.full_docs), noun);
  std::string out = fmt::format("{} of {} {} ({:.1f}%)", with_commas(r.docs), with_commas(*r.full_docs), noun,
                                100.0 * static_cast<double>(r.docs) / static_cast<double>(*r.full_docs));
  if (r.run.wall_s && *r.run.wall_s > 0) {
    const double per_doc = *r.run.wall_s / static_cast<double>(r.docs);
    out += fmt::format("; full run ≈ {} here at this run's {:.2f} s per {}",
                       duration_text(per_doc * static_cast<double>(*r.full_docs)), per_doc, singular(noun));
    // A full MMLU run computes each subject's five-shot prefix once and reuses it.
    if (r.run.suite == "mmlu") out += " (less in a full run, which reuses each subject's few-shot prefix)";
  }
  return out;
}

namespace detail {

std::string summary_html(const Overview& o) {
  const auto runs = summary_runs(o);
  std::string b = "<section id=\"summary\">\n<h2>Results</h2>\n";
  if (runs.empty()) return b + "<p class=\"meta\">No finished evaluation run in this store.</p>\n</section>\n";
  b += "<div class=\"tw\"><table id=\"summary-table\"><thead><tr><th>suite <small>(model · quant · threads)</small></th>"
       "<th>score</th><th>95% interval</th><th>n</th><th>time</th><th>sample vs a full run</th></tr></thead><tbody>\n";
  for (const RunSummary* r : runs) {
    const std::string scope = sample_scope_text(*r);
    // data-label: the column name, shown before each value when a phone stacks the cells.
    b += "<tr class=\"srow\"><td><a href=\"#run-" + html_escape(r->run.id) + "\"><b>" + html_escape(suite_text(*r)) +
         "</b></a><br><small>" + html_escape(setting_text(*r)) + "</small></td>";
    b += "<td class=\"score\" data-label=\"score\"><b>" + html_escape(score_text(*r)) + "</b></td>";
    b += "<td class=\"n ci\" data-label=\"95% interval\">" + html_escape(interval_text(*r)) + "</td>";
    b += "<td class=\"n\" data-label=\"n\">" + html_escape(n_text(*r)) + "</td>";
    b += "<td class=\"n\" data-label=\"time\">" + html_escape(r->run.wall_s ? duration_text(*r->run.wall_s) : "-") + "</td>";
    b += "<td class=\"scope\">" + html_escape(scope.empty() ? "-" : scope) + "</td></tr>\n";
  }
  b += "</tbody></table></div>\n<p class=\"meta\">The newest finished run of each suite, model and quantization. "
       "95% interval: the Wilson score interval where the score is the mean of 0/1 outcomes (accuracy, exact match, "
       "pass@1), else ± 1.96 standard errors of the metric (BLEU: bootstrap). The full-run time is this run's wall "
       "time per document times the size of the test set, on this machine at its load during the run.</p>\n"
       "</section>\n";
  return b;
}

std::string summary_markdown(const Overview& o) {
  const auto runs = summary_runs(o);
  if (runs.empty()) return "";
  std::string out = "| suite | model · quant · threads | score | 95% interval | n | time | sample vs a full run |\n"
                    "|---|---|---:|---:|---:|---:|---|\n";
  for (const RunSummary* r : runs)
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", md_cell(suite_text(*r)), md_cell(setting_text(*r), 60),
                       md_cell(score_text(*r), 60), md_cell(interval_text(*r)), md_cell(n_text(*r)),
                       md_cell(r->run.wall_s ? duration_text(*r->run.wall_s) : "-"),
                       md_cell(sample_scope_text(*r).empty() ? "-" : sample_scope_text(*r), 200));
  return out + "\n";
}

}  // namespace detail
}  // namespace ys::reports
