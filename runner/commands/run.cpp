// `yardstick run`: evaluate a model on one or more suites and store every sample.
#include "common/error.h"
#include "runner/cli.h"
#include "runner/pipeline.h"
#include "runner/settings.h"
#include "runner/store/store.h"

#include <memory>

namespace {

struct RunCommand {
  ys::runner::RunSettings settings;
  std::string config_path;
};

ys::cli::Registrar reg(
    "run", "Evaluate a model on suites (mmlu, gsm8k, humaneval, wmt*, quant) and store the results",
    [](CLI::App& app) -> ys::cli::RunFn {
      auto cmd = std::make_shared<RunCommand>();
      ys::runner::add_run_flags(app, cmd->settings, cmd->config_path);
      return [cmd, &app] {
        ys::runner::RunSettings& s = cmd->settings;
        if (!cmd->config_path.empty()) ys::runner::apply_config_file(cmd->config_path, app, s);
        if (s.model.empty()) s.model = ys::cli::default_model_path();
        if (s.db.empty()) s.db = ys::cli::default_db_path();
        if (s.data_dir.empty()) s.data_dir = ys::cli::default_data_dir();
        if (s.suites.empty() && s.resume.empty()) {
          ys::fail(ys::ErrorKind::invalid_input, "--suite: expected at least one suite (e.g. --suite mmlu,gsm8k)");
        }
        ys::runner::validate(s);
        ys::store::Store store = ys::store::Store::open(s.db);
        ys::runner::Pipeline pipeline(s, store);
        auto outcomes = pipeline.run();
        ys::runner::print_summary(outcomes);
        return ys::cli::kExitOk;
      };
    });

}  // namespace
