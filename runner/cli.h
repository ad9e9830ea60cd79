// The command registry of the `yardstick` binary.
//
// Each command lives in runner/commands/<name>.cpp and registers itself with a static
// ys::cli::Registrar. `setup` receives the command's CLI11 sub-app, declares its flags,
// and returns the function that runs the command after parsing.
//
// Exit codes (documented in README.md and `yardstick --help`):
//   0 success, 1 the job failed (bad file, missing data, runtime error),
//   2 usage error (unknown flag, bad value), 3 a regression gate failed.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace ys::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitGateFailed = 3;

using RunFn = std::function<int()>;
using SetupFn = std::function<RunFn(CLI::App& sub)>;

struct Command {
  std::string name;
  std::string help;
  SetupFn setup;
};

std::vector<Command>& registry();

struct Registrar {
  Registrar(std::string name, std::string help, SetupFn setup) {
    registry().push_back({std::move(name), std::move(help), std::move(setup)});
  }
};

// Shared flag: --data-dir (env YARDSTICK_DATA, default ./data).
std::string default_data_dir();
// Shared flag: --db (env YARDSTICK_DB, default ./results.db).
std::string default_db_path();
// Default model path: models/SmolLM2-135M-Instruct.Q4_1.gguf (env YARDSTICK_MODEL).
std::string default_model_path();

}  // namespace ys::cli
