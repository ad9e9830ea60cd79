// `yardstick export --format lm-eval RUN -o DIR`: a stored run as lm-eval's results JSON and
// samples JSONL (reports/lmeval.h, docs/lm-eval.md).
#include "common/error.h"
#include "reports/lmeval.h"
#include "runner/cli.h"

#include <fmt/core.h>

#include <filesystem>

namespace {

struct ExportArgs {
  std::string run;
  std::string db = ys::cli::default_db_path();
  std::string format = "lm-eval";
  std::string out;
};

int run_export(const ExportArgs& a) {
  if (!std::filesystem::exists(a.db))
    ys::fail(ys::ErrorKind::io, "no result database at {} (pass --db or set YARDSTICK_DB)", a.db);
  auto st = ys::store::Store::open(a.db);
  for (const auto& p : ys::reports::export_lmeval(st, a.run, a.out)) fmt::print("{}\n", p.string());
  return ys::cli::kExitOk;
}

ys::cli::Registrar reg("export", "Write a run in another harness's format (lm-eval results JSON + samples JSONL)",
                       [](CLI::App& app) -> ys::cli::RunFn {
                         auto a = std::make_shared<ExportArgs>();
                         app.add_option("RUN_ID", a->run, "Run id or unique prefix")->required();
                         app.add_option("--format", a->format, "Output format")->check(CLI::IsMember({"lm-eval"}))->capture_default_str();
                         app.add_option("-o,--output", a->out, "Directory to write results_<date>.json and samples_<task>_<date>.jsonl into")
                             ->required();
                         app.add_option("--db", a->db, "Result database (env YARDSTICK_DB)")->capture_default_str();
                         return [a] { return run_export(*a); };
                       });

}  // namespace
