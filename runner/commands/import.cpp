// `yardstick import lm-eval RESULTS_DIR`: an lm-eval `--output_path ... --log_samples`
// directory becomes runs in the store (reports/lmeval.h, docs/lm-eval.md), ready for
// `yardstick compare` against Yardstick runs of the same documents.
#include "common/error.h"
#include "common/hash.h"
#include "reports/lmeval.h"
#include "runner/cli.h"

#include <fmt/core.h>

#include <filesystem>

namespace {

struct ImportArgs {
  std::string dir;
  std::string db = ys::cli::default_db_path();
  std::string results;
  std::string model_file;
  std::string tag = "lm-eval";
};

int run_import(const ImportArgs& a) {
  const ys::reports::LmEvalOutput out = ys::reports::find_lmeval_output(a.dir, a.results);
  ys::reports::LmEvalImportOptions o;
  o.tag = a.tag;
  if (!a.model_file.empty()) o.model_sha256 = ys::sha256_file(a.model_file);
  auto st = ys::store::Store::open(a.db);
  const auto created = ys::reports::import_lmeval(st, out, o);
  fmt::print("imported {} ({} samples files)\n", out.results_file.string(), out.samples_files.size());
  for (const auto& c : created) {
    std::string tasks;
    for (size_t i = 0; i < c.tasks.size() && i < 4; ++i) tasks += (i ? ", " : "") + c.tasks[i];
    if (c.tasks.size() > 4) tasks += fmt::format(", ... ({} tasks)", c.tasks.size());
    fmt::print("  run {}  suite {}  {} documents  (lm-eval tasks: {})\n", c.run_id, c.suite, c.samples, tasks);
  }
  return ys::cli::kExitOk;
}

ys::cli::Registrar reg("import", "Import results of another harness into the store (lm-eval --output_path --log_samples)",
                       [](CLI::App& app) -> ys::cli::RunFn {
                         auto a = std::make_shared<ImportArgs>();
                         app.require_subcommand(1);
                         CLI::App* lm = app.add_subcommand(
                             "lm-eval", "An lm-eval output directory (results_<date>.json + samples_<task>_<date>.jsonl) as runs");
                         lm->add_option("RESULTS_DIR", a->dir, "lm-eval's --output_path (searched recursively)")->required();
                         lm->add_option("--db", a->db, "Result database (env YARDSTICK_DB)")->capture_default_str();
                         lm->add_option("--results", a->results, "Which results file when there are several (file name or date id; default: newest)");
                         lm->add_option("--model-file", a->model_file,
                                        "The model file the lm-eval run loaded (e.g. its gguf_file): its sha256 is recorded");
                         lm->add_option("--tag", a->tag, "Tag of the imported runs")->capture_default_str();
                         return [a] { return run_import(*a); };
                       });

}  // namespace
