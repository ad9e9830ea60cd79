// `yardstick report -o FILE`: the whole store as one self-contained HTML page (or Markdown
// / JSON): first what was asked (score, 95% interval, n, time and how far each sample is
// from a full run), then runs by model x suite x settings, drill-downs, charts, kernel and
// perf results. The runner tells the report how large each suite's full test set is by
// loading the suite's data from --data-dir (only when the files are those the run used).
#include "common/error.h"
#include "reports/json_report.h"
#include "reports/overview.h"
#include "runner/cli.h"
#include "runner/claims_file.h"
#include "suites/suite.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>

namespace {

struct ReportArgs {
  std::string db = ys::cli::default_db_path();
  std::string data_dir = ys::cli::default_data_dir();
  std::string format = "html", out;
  std::vector<std::string> claims;  // --claims FILE: a claims-check section per file
};

// The claims sections (reports/claims.h) of --claims FILE..., checked against the store.
std::vector<ys::reports::ClaimsReport> claims_reports(ys::store::Store& st, const std::vector<std::string>& files) {
  std::vector<ys::reports::ClaimsReport> out;
  for (const auto& path : files)
    out.push_back(ys::reports::check_claims(st, ys::runner::load_claims_file(path), ys::runner::claims_match_options()));
  return out;
}

// Full test-set sizes by suite, from the data in data_dir; nullopt when the suite cannot be
// loaded there or its files' sha256 differ from those the run recorded.
ys::reports::DatasetSizeFn full_size_from(const std::string& data_dir) {
  struct Loaded {
    std::optional<int64_t> size;
    std::map<std::string, std::string> hashes;
  };
  auto cache = std::make_shared<std::map<std::string, Loaded>>();
  return [cache, data_dir](const ys::store::RunRecord& r) -> std::optional<int64_t> {
    auto it = cache->find(r.suite);
    if (it == cache->end()) {
      Loaded l;
      try {
        ys::suites::TaskOptions o;
        o.data_dir = data_dir;
        std::unique_ptr<ys::suites::Task> task = ys::suites::make_task(r.suite, o);
        l.size = static_cast<int64_t>(task->size());
        l.hashes = task->dataset_hashes();
      } catch (const std::exception&) {  // data absent or the suite needs more options: size unknown
      }
      it = cache->emplace(r.suite, std::move(l)).first;
    }
    nlohmann::json used = nlohmann::json::parse(r.dataset_json, nullptr, false);
    if (!it->second.size || !used.is_object()) return std::nullopt;
    for (auto f = used.begin(); f != used.end(); ++f) {  // every file the run read, unchanged
      auto h = it->second.hashes.find(f.key());
      if (h == it->second.hashes.end() || !f->is_string() || f->get<std::string>() != h->second) return std::nullopt;
    }
    return it->second.size;
  };
}

int run_report(const ReportArgs& a) {
  if (!std::filesystem::exists(a.db))
    ys::fail(ys::ErrorKind::io, "no result database at {} (pass --db or set YARDSTICK_DB)", a.db);
  auto st = ys::store::Store::open(a.db);
  ys::reports::Overview o = ys::reports::load_overview(st, full_size_from(a.data_dir));
  const auto claims = claims_reports(st, a.claims);
  if (a.format == "json") {
    nlohmann::json j = ys::reports::overview_json(o);
    if (!claims.empty()) j["claims"] = nlohmann::json::array();
    for (const auto& c : claims) j["claims"].push_back(ys::reports::claims_json(c));
    ys::reports::emit(ys::reports::json_text(j), a.out);
  } else if (a.format == "md") {
    std::string md = ys::reports::overview_markdown(o);
    for (const auto& c : claims) md += "\n" + ys::reports::claims_markdown(c);
    ys::reports::emit(md, a.out);
  } else {
    std::string sections;
    for (const auto& c : claims) sections += ys::reports::claims_html_section(c);
    ys::reports::emit(ys::reports::with_html_section(ys::reports::overview_html(o), sections), a.out);
  }
  return ys::cli::kExitOk;
}

ys::cli::Registrar reg("report", "Render the whole result store: HTML (self-contained, charts), Markdown or JSON",
                       [](CLI::App& app) -> ys::cli::RunFn {
                         auto a = std::make_shared<ReportArgs>();
                         app.add_option("--db", a->db, "Result database (env YARDSTICK_DB)")->capture_default_str();
                         app.add_option("--data-dir", a->data_dir,
                                        "Datasets, to tell how large each full test set is (env YARDSTICK_DATA)")
                             ->capture_default_str();
                         app.add_option("--format", a->format, "Output format")->check(CLI::IsMember({"html", "md", "json"}))->capture_default_str();
                         app.add_option("-o,--output", a->out, "Write here (default: stdout)");
                         app.add_option("--claims", a->claims, "Add a claims-check section for this claims file (repeatable)");
                         return [a] { return run_report(*a); };
                       });

}  // namespace
