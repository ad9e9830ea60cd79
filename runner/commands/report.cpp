// `yardstick report -o FILE`: the whole store as one self-contained HTML page (or Markdown
// / JSON): runs by model x suite x settings, drill-downs, charts, kernel and perf results.
#include "common/error.h"
#include "reports/json_report.h"
#include "reports/overview.h"
#include "runner/cli.h"

#include <filesystem>

namespace {

struct ReportArgs {
  std::string db = ys::cli::default_db_path();
  std::string format = "html", out;
};

int run_report(const ReportArgs& a) {
  if (!std::filesystem::exists(a.db))
    ys::fail(ys::ErrorKind::io, "no result database at {} (pass --db or set YARDSTICK_DB)", a.db);
  auto st = ys::store::Store::open(a.db);
  ys::reports::Overview o = ys::reports::load_overview(st);
  if (a.format == "json") ys::reports::emit(ys::reports::json_text(ys::reports::overview_json(o)), a.out);
  else if (a.format == "md") ys::reports::emit(ys::reports::overview_markdown(o), a.out);
  else ys::reports::emit(ys::reports::overview_html(o), a.out);
  return ys::cli::kExitOk;
}

ys::cli::Registrar reg("report", "Render the whole result store: HTML (self-contained, charts), Markdown or JSON",
                       [](CLI::App& app) -> ys::cli::RunFn {
                         auto a = std::make_shared<ReportArgs>();
                         app.add_option("--db", a->db, "Result database (env YARDSTICK_DB)")->capture_default_str();
                         app.add_option("--format", a->format, "Output format")->check(CLI::IsMember({"html", "md", "json"}))->capture_default_str();
                         app.add_option("-o,--output", a->out, "Write here (default: stdout)");
                         return [a] { return run_report(*a); };
                       });

}  // namespace
