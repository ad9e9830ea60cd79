// `yardstick version`: provenance of this binary.
#include "common/version.h"
#include "runner/cli.h"

#include <fmt/core.h>

namespace {

ys::cli::Registrar reg("version", "Print the version, git commit, build type and compiled-in backends",
                       [](CLI::App&) -> ys::cli::RunFn {
                         return [] {
                           fmt::print("yardstick {}\ncommit: {}\nbuild: {}\ncompiler: {}\n", ys::version(),
                                      ys::git_commit(), ys::build_type(), ys::compiler());
#ifdef YS_HAVE_CUDA
                           fmt::print("cuda: compiled in\n");
#else
                           fmt::print("cuda: not compiled in\n");
#endif
                           return 0;
                         };
                       });

}  // namespace
