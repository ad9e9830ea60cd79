// A sandbox that cannot start is not a failed program: a stand-in for bubblewrap fails
// the first N starts (as bwrap does when the host's processes or namespaces run out);
// the sandbox retries, reports sandbox_error when every try failed, and run_all() stops
// with an error instead of returning a result for it.
#include "common/error.h"
#include "suites/humaneval/humaneval.h"
#include "suites/humaneval/sandbox.h"

#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace fs = std::filesystem;
using namespace ys::suites::humaneval;

namespace {

const char* kBwrapMessage = "bwrap: Creating new namespace failed: Resource temporarily unavailable";

std::string real_bwrap() {
  for (const char* p : {"/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

// A folder with `bwrap`, a script that fails while the file `fail` holds a positive count
// (counting it down) and otherwise runs the real one; every call appends a line to `calls`.
struct FlakyBwrap {
  fs::path dir;
  explicit FlakyBwrap(const std::string& real) {
    std::random_device rd;
    // Under /tmp: every folder above it must be open to the worker's uid.
    dir = fs::temp_directory_path() / ("ys_flaky_bwrap_" + std::to_string(rd()));
    fs::create_directories(dir);
    std::ofstream(dir / "bwrap") << "#!/bin/sh\n"
                                    "d=$(dirname \"$0\")\n"
                                    "echo x >> \"$d/calls\"\n"
                                    "n=$(cat \"$d/fail\" 2>/dev/null || echo 0)\n"
                                    "if [ \"$n\" -gt 0 ]; then\n"
                                    "  echo $((n - 1)) > \"$d/fail\"\n"
                                    "  echo '"
                                 << kBwrapMessage
                                 << "' >&2\n"
                                    "  exit 1\n"
                                    "fi\n"
                                    "exec "
                                 << real << " \"$@\"\n";
    // The script runs as the worker's unprivileged uid when the harness is root.
    fs::permissions(dir, fs::perms::all);
    fs::permissions(dir / "bwrap", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                       fs::perms::others_read | fs::perms::others_exec);
    set_failures(0);
  }
  ~FlakyBwrap() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void set_failures(int n) {
    fs::remove(dir / "calls");
    std::ofstream(dir / "fail") << n << "\n";
    fs::permissions(dir / "fail", fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                      fs::perms::group_write | fs::perms::others_read | fs::perms::others_write);
  }
  int calls() const {
    std::ifstream f(dir / "calls");
    int n = 0;
    for (std::string line; std::getline(f, line);) ++n;
    return n;
  }
};

SandboxOptions flaky_options(const FlakyBwrap& fb) {
  SandboxOptions o;
  o.bwrap = (fb.dir / "bwrap").string();
  o.limits.timeout_s = 2.0;
  o.workers = 1;
  o.start_attempts = 4;
  o.retry_delay_s = 0.01;
  return o;
}

}  // namespace

TEST_CASE("sandbox: a start the sandbox failed is retried, then reported as a sandbox error") {
  const std::string real = real_bwrap();
  if (real.empty()) {
    WARN("bwrap not installed; skipped");
    return;
  }
  FlakyBwrap fb(real);
  Sandbox sb(flaky_options(fb));
  REQUIRE(sb.mode() == "bwrap");

  fb.set_failures(2);  // two failed starts, then it works
  auto ok = sb.run("assert 1 + 1 == 2\n");
  CHECK(ok.outcome == Outcome::passed);
  CHECK(ok.attempts == 3);
  CHECK(fb.calls() == 3);

  fb.set_failures(100);  // never starts
  auto never = sb.run("assert 1 + 1 == 2\n");
  CHECK(never.outcome == Outcome::sandbox_error);
  CHECK(never.attempts == 4);
  CHECK(never.detail == kBwrapMessage);
  CHECK(fb.calls() == 4);
  CHECK(result_string(never) == std::string("sandbox error: ") + kBwrapMessage);

  // run_all stops at it: an error naming the program, no result, nothing more started.
  fb.set_failures(100);
  std::string what;
  try {
    sb.run_all({"assert True\n", "assert True\n", "assert True\n"});
  } catch (const ys::Error& e) {
    what = e.what();
  }
  INFO(what);
  CHECK(what.find("program 1 of 3 could not be started after 4 tries") != std::string::npos);
  CHECK(what.find(kBwrapMessage) != std::string::npos);
  CHECK(what.find("not a result of the program") != std::string::npos);
  CHECK(fb.calls() == 4);
}

TEST_CASE("sandbox: a program cannot pass itself off as a sandbox failure") {
  Sandbox sb(SandboxOptions{});
  // Same stderr line and exit status as a bwrap that could not start, but from the program.
  auto fake = sb.run(std::string("import sys\nsys.stderr.write('") + kBwrapMessage + "\\n')\nsys.exit(1)\n");
  CHECK(fake.outcome == Outcome::failed);
  CHECK(fake.detail == kBwrapMessage);
  auto fake_os = sb.run(std::string("import os\nos.write(2, b'") + kBwrapMessage + "\\n')\nos._exit(1)\n");
  CHECK(fake_os.outcome == Outcome::failed);
  // It printed nothing, yet it ran: no start marker is visible in its output.
  auto quiet = sb.run("import sys\nassert sys.argv\n");
  CHECK(quiet.outcome == Outcome::passed);
  CHECK(quiet.out.empty());
}
