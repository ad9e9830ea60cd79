// `yardstick baseline export RUN_ID -o base.json`: the run's provenance, metrics, perf and
// per-sample scores as a small file that `yardstick gate --baseline` accepts.
#include "common/error.h"
#include "reports/baseline.h"
#include "reports/json_report.h"
#include "runner/cli.h"

#include <fmt/core.h>

#include <filesystem>

namespace {

struct BaselineArgs {
  std::string db = ys::cli::default_db_path();
  std::string id, out;
};

int run_export(const BaselineArgs& a) {
  if (!std::filesystem::exists(a.db))
    ys::fail(ys::ErrorKind::io, "no result database at {} (pass --db or set YARDSTICK_DB)", a.db);
  auto st = ys::store::Store::open(a.db);
  ys::reports::RunData d = ys::reports::load_run(st, a.id);
  if (d.run.status != "done")
    ys::fail(ys::ErrorKind::invalid_input, "baseline export {}: the run is {}, not done", d.run.id, d.run.status);
  ys::reports::emit(ys::reports::json_text(ys::reports::baseline_json(d)), a.out);
  if (!a.out.empty() && a.out != "-")
    fmt::print(stderr, "wrote baseline of run {} ({} samples, {} metrics) to {}\n", d.run.id, d.samples.size(),
               d.metrics.size(), a.out);
  return ys::cli::kExitOk;
}

ys::cli::Registrar reg("baseline", "Baseline files for CI gates: `baseline export RUN_ID -o base.json`",
                       [](CLI::App& app) -> ys::cli::RunFn {
                         auto a = std::make_shared<BaselineArgs>();
                         app.require_subcommand(1);
                         CLI::App* ex = app.add_subcommand("export", "Write a run as a baseline JSON file");
                         ex->add_option("RUN_ID", a->id, "Run id or unique prefix")->required();
                         ex->add_option("-o,--output", a->out, "Output file (default: stdout)");
                         ex->add_option("--db", a->db, "Result database (env YARDSTICK_DB)")->capture_default_str();
                         return [a] { return run_export(*a); };
                       });

}  // namespace
