// yardstick: benchmark and evaluate LLMs with an embedded inference engine.
#include "common/error.h"
#include "runner/cli.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <map>

int main(int argc, char** argv) {
  using namespace ys::cli;
  CLI::App app{"yardstick: reproduce LLM benchmark scores, measure engine speed, gate regressions"};
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success, 1 the job failed, 2 usage error, 3 regression gate failed.\n"
      "Run `yardstick <command> --help` for a command's flags.");
  auto& commands = registry();
  std::sort(commands.begin(), commands.end(),
            [](const Command& a, const Command& b) { return a.name < b.name; });
  std::map<CLI::App*, RunFn> runs;
  for (const Command& c : commands) {
    CLI::App* sub = app.add_subcommand(c.name, c.help);
    runs[sub] = c.setup(*sub);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  try {
    for (auto& [sub, run] : runs) {
      if (sub->parsed()) return run();
    }
    return kExitUsage;
  } catch (const ys::Error& e) {
    std::fflush(stdout);
    fmt::print(stderr, "yardstick: {}: {}\n", ys::to_string(e.kind()), e.what());
    return e.kind() == ys::ErrorKind::invalid_input ? kExitUsage : kExitFailed;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    fmt::print(stderr, "yardstick: error: {}\n", e.what());
    return kExitFailed;
  }
}
