// `yardstick compare RUN_ID RUN_ID... | --where 'model=..., suite=...'`: every metric side
// by side with differences vs the first run (95% CI, paired p), performance, each run's
// numerical drift from the first (reports/drift.h), and with --flips A B the documents
// whose outcome changed.
#include "common/error.h"
#include "reports/compare_report.h"
#include "reports/json_report.h"
#include "runner/cli.h"

#include <fmt/core.h>

#include <filesystem>

namespace {

using namespace ys::reports;

struct CompareArgs {
  std::string db = ys::cli::default_db_path();
  std::vector<std::string> ids;
  std::string where, by, format = "md", out, flip_key;
  std::vector<std::string> flips;
  bool allow_mismatch = false;
};

int run_compare(const CompareArgs& a) {
  if (!std::filesystem::exists(a.db))
    ys::fail(ys::ErrorKind::io, "no result database at {} (pass --db or set YARDSTICK_DB)", a.db);
  auto st = ys::store::Store::open(a.db);
  std::vector<std::string> ids = a.ids;
  if (!a.flips.empty()) {
    if (a.flips.size() != 2) ys::fail(ys::ErrorKind::invalid_input, "--flips: expected two run ids A B, got {}", a.flips.size());
    if (!ids.empty() || !a.where.empty())
      ys::fail(ys::ErrorKind::invalid_input, "--flips A B compares exactly two runs; drop the RUN_ID arguments / --where");
    ids = a.flips;
  }
  if (!a.where.empty()) {
    if (!ids.empty()) ys::fail(ys::ErrorKind::invalid_input, "give RUN_IDs or --where, not both");
    ids = runs_matching(st, a.where);
    if (ids.empty()) ys::fail(ys::ErrorKind::invalid_input, "--where \"{}\": no run in {} matches", a.where, a.db);
  }
  if (ids.size() < 2) ys::fail(ys::ErrorKind::invalid_input, "compare: expected at least two runs (RUN_ID RUN_ID... or --where), got {}", ids.size());
  std::vector<RunData> runs;
  for (const auto& id : ids) runs.push_back(load_run(st, id));
  std::vector<Flip> flips;
  if (!a.flips.empty()) flips = find_flips(runs[0], runs[1], a.flip_key);
  Comparison c = compare_runs(std::move(runs), a.by, a.allow_mismatch);
  const std::vector<Flip>* fp = a.flips.empty() ? nullptr : &flips;
  if (a.format == "json") emit(json_text(compare_json(c, fp)), a.out);
  else if (a.format == "html") emit(compare_html(c, fp), a.out);
  else emit(compare_markdown(c, fp), a.out);
  for (const auto& n : c.notes) fmt::print(stderr, "warning: {}\n", n);
  return ys::cli::kExitOk;
}

ys::cli::Registrar reg("compare", "Compare runs: metrics side by side, differences with 95% CI and paired p-values, speed, "
                       "numerical drift of the outputs",
                       [](CLI::App& app) -> ys::cli::RunFn {
                         auto a = std::make_shared<CompareArgs>();
                         app.add_option("RUN_ID", a->ids, "Runs (ids or unique prefixes); the first is the reference");
                         app.add_option("--where", a->where, "Select runs: 'model=SmolLM2, suite=mmlu, quant=q8_0, threads=8, tag=...'");
                         app.add_option("--by", a->by, "Label and order the runs by this setting")
                             ->check(CLI::IsMember({"quant", "hardware", "device", "threads", "tag", "model"}));
                         app.add_option("--format", a->format, "Output format")->check(CLI::IsMember({"md", "html", "json"}))->capture_default_str();
                         app.add_option("-o,--output", a->out, "Write here instead of stdout");
                         app.add_option("--db", a->db, "Result database (env YARDSTICK_DB)")->capture_default_str();
                         app.add_option("--flips", a->flips, "List the documents whose outcome changed between runs A and B")->expected(2);
                         app.add_option("--flip-score", a->flip_key, "Score key for --flips (default: the headline metric's)");
                         app.add_flag("--allow-mismatch", a->allow_mismatch, "Compare even if suite/protocol/datasets/sample sets differ");
                         return [a] { return run_compare(*a); };
                       });

}  // namespace
