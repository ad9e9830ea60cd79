// Markdown, JSON and HTML renderings of a claims check (claims.h).
#include "reports/claims.h"
#include "reports/escape.h"
#include "reports/html_page.h"
#include "reports/json_report.h"

#include <fmt/format.h>

#include <cctype>

namespace ys::reports {
namespace {

using nlohmann::json;

double scale(const ClaimResult& r) { return r.fraction ? 100.0 : 1.0; }
std::string unit(const ClaimResult& r) { return r.fraction ? " %" : ""; }

std::string claimed_text(const ClaimResult& r) { return fmt::format("{:.2f}{}", r.claimed * scale(r), unit(r)); }

std::string measured_text(const ClaimResult& r) {
  if (!r.measured) return "-";
  std::string s = fmt::format("{:.2f}", *r.measured * scale(r));
  if (r.ci_lo && r.ci_hi) s += fmt::format(" [{:.2f}, {:.2f}]", *r.ci_lo * scale(r), *r.ci_hi * scale(r));
  return s + unit(r);
}

std::string diff_text(const ClaimResult& r) {
  auto d = r.difference();
  return d ? fmt::format("{:+.2f}", *d * scale(r)) : "-";
}

// What the verdict column says: the verdict, or why there is none.
std::string verdict_text(const ClaimResult& r) {
  if (r.status == "not_checkable") return "not checkable";
  if (r.status == "no_run") return "no run";
  if (r.status == "error") return "error";
  std::string v = r.verdict.empty() ? "no interval" : r.verdict;
  return r.partial ? v + " (partial)" : v;
}

std::string detail_text(const ClaimResult& r) {
  std::string s;
  if (!r.reason.empty()) s = r.reason;
  if (r.partial)
    s += (s.empty() ? "" : "; ") + fmt::format("partial sample ({}): the first documents of the test set, not a random "
                                               "sample; the interval covers these documents only", r.partial_note);
  if (r.status == "checked" && r.run_source == "lm-eval") s += (s.empty() ? "" : "; ") + std::string("run imported from lm-eval");
  return s;
}

std::string short_id(const std::string& id) { return id.empty() ? "-" : id.substr(0, 8); }

const char* kExplain =
    "Claimed: the published value. Measured: the matching run's value with its 95% interval (Wilson score interval "
    "for 0/1 per-sample scores, value ± 1.96·stderr otherwise) over n documents. Δ = measured − claimed. Verdict: "
    "consistent when the claim lies inside the interval, below / above when the whole interval lies below / above it.";

}  // namespace

std::string claims_markdown(const ClaimsReport& rep) {
  const ClaimsFile& f = rep.file;
  std::string out = fmt::format("### Claims check: {}\n\nsource: {}  \nclaims file `{}` · store `{}` · matched by {}\n\n",
                                md_cell(f.model, 120), md_cell(f.source, 300), md_cell(f.path, 120), md_cell(rep.db_path, 120),
                                rep.model_sha256.empty() ? "model name" : "model sha256 " + rep.model_sha256.substr(0, 16));
  out += std::string(kExplain) + "\n\n";
  out += "| # | suite | metric | shots | chat | claimed | measured [95% CI] | n | Δ | verdict | run |\n"
         "|---:|---|---|---:|---|---:|---:|---:|---:|---|---|\n";
  std::string notes;
  for (size_t i = 0; i < rep.results.size(); ++i) {
    const ClaimResult& r = rep.results[i];
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | `{}` |\n", i + 1, md_cell(r.claim.suite, 40),
                       md_cell(r.claim.metric, 40), r.claim.shots, r.claim.chat_template ? "on" : "off", claimed_text(r),
                       measured_text(r), r.measured ? std::to_string(r.n) : "-", diff_text(r), verdict_text(r),
                       short_id(r.run_id));
    const std::string d = detail_text(r);
    if (!d.empty()) notes += fmt::format("- {}: {}\n", i + 1, md_cell(d, 400));
  }
  out += fmt::format("\n{} consistent, {} below, {} above, {} not checked\n", rep.count("consistent"), rep.count("below"),
                     rep.count("above"),
                     static_cast<int>(rep.results.size()) - rep.count("consistent") - rep.count("below") - rep.count("above"));
  if (!notes.empty()) out += "\n" + notes;
  return out;
}

json claims_json(const ClaimsReport& rep) {
  json claims = json::array();
  auto opt = [](std::optional<double> v) { return v ? json(*v) : json(nullptr); };
  for (const ClaimResult& r : rep.results) {
    claims.push_back({{"suite", r.claim.suite},
                      {"metric", r.claim.metric},
                      {"shots", r.claim.shots},
                      {"chat_template", r.claim.chat_template},
                      {"published", r.claim.value},
                      {"unit", r.claim.unit},
                      {"source", r.claim.source},
                      {"notes", r.claim.notes},
                      {"status", r.status},
                      {"reason", r.reason},
                      {"claimed", r.claimed},
                      {"measured", opt(r.measured)},
                      {"stderr", opt(r.std_err)},
                      {"ci_low", opt(r.ci_lo)},
                      {"ci_high", opt(r.ci_hi)},
                      {"interval", r.interval},
                      {"n", r.n},
                      {"difference", opt(r.difference())},
                      {"verdict", r.verdict.empty() ? json(nullptr) : json(r.verdict)},
                      {"partial", r.partial},
                      {"partial_note", r.partial_note},
                      {"run_id", r.run_id.empty() ? json(nullptr) : json(r.run_id)},
                      {"run_source", r.run_source}});
  }
  return {{"schema", "yardstick-claims-check"},
          {"schema_version", 1},
          {"model", rep.file.model},
          {"source", rep.file.source},
          {"claims_file", rep.file.path},
          {"db", rep.db_path},
          {"matched_by", rep.model_sha256.empty() ? "name" : "sha256"},
          {"model_sha256", rep.model_sha256},
          {"counts",
           {{"consistent", rep.count("consistent")}, {"below", rep.count("below")}, {"above", rep.count("above")}}},
          {"claims", claims}};
}

std::string claims_html_section(const ClaimsReport& rep) {
  const ClaimsFile& f = rep.file;
  std::string slug;  // ids stay unique when a report holds several claims files
  for (char c : f.model) slug += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '-';
  std::string b = "<h2 id=\"claims-" + slug + "\">Published claims: " + html_escape(f.model) + "</h2>\n<p class=\"meta\">source " +
                  html_escape(f.source) + " · claims file " + html_escape(f.path) + " · " +
                  html_escape(rep.model_sha256.empty() ? "matched by model name" : "matched by model sha256 " + rep.model_sha256.substr(0, 16)) +
                  "</p>\n<p class=\"meta\">" + html_escape(kExplain) + "</p>\n";
  b += "<div class=\"tw\"><table class=\"claims-table\"><thead><tr><th>#</th><th>suite</th><th>metric</th><th>shots</th>"
       "<th>chat</th><th>claimed</th><th>measured [95% CI]</th><th>n</th><th>Δ</th><th>verdict</th><th>run</th>"
       "<th>notes</th></tr></thead><tbody>\n";
  for (size_t i = 0; i < rep.results.size(); ++i) {
    const ClaimResult& r = rep.results[i];
    const char* cls = r.verdict == "consistent" ? "pass" : r.verdict == "below" ? "fail" : "";
    auto td = [](const std::string& s, bool n = false) { return (n ? "<td class=\"n\">" : "<td>") + html_escape(s) + "</td>"; };
    b += "<tr>" + td(std::to_string(i + 1), true) + td(r.claim.suite) + td(r.claim.metric) +
         td(std::to_string(r.claim.shots), true) + td(r.claim.chat_template ? "on" : "off") + td(claimed_text(r), true) +
         td(measured_text(r), true) + td(r.measured ? std::to_string(r.n) : "-", true) + td(diff_text(r), true) +
         fmt::format("<td class=\"{}\">{}</td>", cls, html_escape(verdict_text(r))) + "<td><code>" +
         html_escape(short_id(r.run_id)) + "</code></td>" + td(detail_text(r) + (r.claim.source.empty() ? "" : (detail_text(r).empty() ? "" : "; ") + r.claim.source)) + "</tr>\n";
  }
  return b + "</tbody></table></div>\n";
}

std::string claims_html_page(const ClaimsReport& rep) {
  return html_page("Yardstick claims check: " + rep.file.model, "<h1>Yardstick claims check</h1>\n" + claims_html_section(rep));
}

std::string with_html_section(const std::string& page, const std::string& sections) {
  if (sections.empty()) return page;
  const size_t at = page.rfind("</body>");
  if (at == std::string::npos) return page + sections;
  return page.substr(0, at) + sections + page.substr(at);
}

}  // namespace ys::reports
