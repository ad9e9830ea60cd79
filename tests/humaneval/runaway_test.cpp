// Runaway programs (fork loops, a memory hog, an endless loop, huge output, daemons)
// interleaved with correct ones, on 1 and on several workers: every correct program
// passes at its first start, every runaway one fails within its limits, and when run()
// returns no process of the program is left (as root: none runs as the worker's uid).
#include "suites/humaneval/humaneval.h"
#include "suites/humaneval/sandbox.h"
#include "suites/humaneval/sandbox_uids.h"

#include <catch2/catch.hpp>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace fs = std::filesystem;
using namespace ys::suites::humaneval;

namespace {

constexpr double kTimeout = 1.0;

struct Prog {
  const char* name;
  std::string source;
  bool runaway;
  // Accepted result strings (result_string()), '|'-separated; an entry ending in '*'
  // accepts any result that starts with it.
  std::string expect = "passed";
};

// Each runaway program is followed by two correct ones; the second forks 20 children,
// which fails if an earlier program's processes still hold the uid's process slots.
std::vector<Prog> interleaved() {
  const std::string plain = "def f(x):\n    return x * 2\nassert f(21) == 42\n";
  const std::string forks =
      "import os\npids = []\nfor _ in range(20):\n    p = os.fork()\n    if p == 0:\n        os._exit(7)\n"
      "    pids.append(p)\nfor p in pids:\n    assert os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) == 7\n";
  // Timed out = killed at the wall-clock deadline (RLIMIT_CPU, timeout + 1 s, would say
  // "killed: SIGXCPU"). The hog may be stopped by either limit on a loaded machine.
  const std::vector<Prog> runaways = {
      // The loop may die of its own exception when fork() meets the process limit first
      // (BlockingIOError, errno 11; with many processes printing tracebacks at once, the
      // message is whichever line came last); either way it stops within its limits.
      {"fork loop", "import os\nwhile True:\n    os.fork()\n", true, "timed out|failed*"},
      {"memory hog", "hog = []\nwhile True:\n    hog.append(b'\\x01' * (1 << 24))\n", true,
       "failed: MemoryError|timed out"},
      {"endless loop", "while True:\n    pass\n", true, "timed out"},
      {"huge output", "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n", true, "timed out"},
      {"fork bomb holding its processes",
       "import os, time\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        time.sleep(0.01)\n",
       true, "timed out"},
      {"daemons",
       "import os, time\nfor _ in range(20):\n    if os.fork() == 0:\n        os.setsid()\n"
       "        if os.fork() == 0:\n            time.sleep(600)\n        os._exit(0)\nraise SystemExit(1)\n",
       true, "failed: exit code 1"},
  };
  std::vector<Prog> out;
  for (const auto& r : runaways) {
    out.push_back(r);
    out.push_back({"correct", plain, false});
    out.push_back({"correct, forks", forks, false});
  }
  return out;
}

SandboxOptions options(int workers, const std::string& token) {
  SandboxOptions o;
  o.limits.timeout_s = kTimeout;
  o.limits.address_space = 1ull << 30;  // the hog stops at 1 GiB (RSS), gentle on a CI machine
  o.workers = workers;
  o.env = {"YS_RUNAWAY_MARKER=" + token};
  return o;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Processes whose environment or command line holds the token.
int processes_with(const std::string& token) {
  int n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if ((slurp(e.path() / "cmdline") + slurp(e.path() / "environ")).find(token) != std::string::npos) ++n;
  }
  return n;
}

std::string new_token() {
  std::random_device rd;
  return "YSRUNAWAY" + std::to_string(rd()) + std::to_string(rd());
}

bool accepted(const std::string& expect, const std::string& result) {
  std::stringstream ss(expect);
  std::string alt;
  while (std::getline(ss, alt, '|')) {
    if (!alt.empty() && alt.back() == '*') {
      if (result.rfind(alt.substr(0, alt.size() - 1), 0) == 0) return true;
    } else if (result == alt) {
      return true;
    }
  }
  return false;
}

void check_result(const Prog& p, const RunResult& r) {
  const std::string result = result_string(r);
  INFO(p.name << ": " << result << " / attempts " << r.attempts << " / " << r.err.substr(0, 300));
  CHECK(accepted(p.expect, result));
  // The harness notices the deadline even while a fork bomb competes for the CPU (the
  // program runs in its own session, so autogroup scheduling shares the CPU per program).
  if (p.runaway) CHECK(r.wall_s < kTimeout + 1.0);
  CHECK(r.attempts == 1);  // the sandbox never failed to start a program
}

// Generous, but far below what an unkilled runaway (or a retrying start) would take.
double time_bound(const std::vector<Prog>& progs) {
  double t = 0;
  for (const auto& p : progs) t += p.runaway ? kTimeout + 1.0 : 1.0;
  return t;
}

}  // namespace

TEST_CASE("sandbox: runaway programs interleaved with correct ones, 1 worker") {
  const std::string token = new_token();
  Sandbox sb(options(1, token));
  REQUIRE(sb.mode() == "bwrap");
  const bool root = ::geteuid() == 0;
  if (root) REQUIRE(sb.uids().size() == 1);
  const auto progs = interleaved();
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& p : progs) {
    RunResult r = sb.run(p.source, 0);
    check_result(p, r);
    // run() returned: nothing of the program is left, without waiting for it.
    INFO(p.name);
    if (root) CHECK(ys::suites::humaneval::detail::count_processes_of(sb.uids()[0]) == 0);
    CHECK(processes_with(token) == 0);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(secs < time_bound(progs));
  if (!root) WARN("not root: programs share the user's uid, the per-uid checks did not run");
}

TEST_CASE("sandbox: runaway programs interleaved with correct ones, 3 workers") {
  const std::string token = new_token();
  Sandbox sb(options(3, token));
  REQUIRE(sb.mode() == "bwrap");
  const auto progs = interleaved();
  std::vector<std::string> sources;
  for (const auto& p : progs) sources.push_back(p.source);
  auto t0 = std::chrono::steady_clock::now();
  auto results = sb.run_all(sources);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE(results.size() == progs.size());
  for (size_t i = 0; i < progs.size(); ++i) check_result(progs[i], results[i]);
  CHECK(secs < time_bound(progs));
  for (uid_t u : sb.uids()) CHECK(ys::suites::humaneval::detail::count_processes_of(u) == 0);
  CHECK(processes_with(token) == 0);
  if (::geteuid() == 0) {
    // Three distinct uids, none of them a process's before or after.
    auto uids = sb.uids();
    REQUIRE(uids.size() == 3);
    CHECK(uids[0] != uids[1]);
    CHECK(uids[1] != uids[2]);
    CHECK(uids[0] != uids[2]);
  }
}

TEST_CASE("sandbox: two sandboxes never share a uid") {
  if (::geteuid() != 0) {
    WARN("not root: no uids are leased; skipped");
    return;
  }
  Sandbox a(options(2, new_token()));
  Sandbox b(options(2, new_token()));
  auto ua = a.uids(), ub = b.uids();
  REQUIRE(ua.size() == 2);
  REQUIRE(ub.size() == 2);
  for (uid_t x : ua)
    for (uid_t y : ub) CHECK(x != y);
}

TEST_CASE("sandbox: without bubblewrap (unsafe mode) runaways are still killed and reaped, as root") {
  if (::geteuid() != 0) {
    WARN("not root: unsafe mode cannot find daemons that left the process group; skipped");
    return;
  }
  const std::string token = new_token();
  SandboxOptions o = options(1, token);
  o.bwrap = "/bin/false";  // "bubblewrap" never starts: the probe falls back to unsafe mode
  o.unsafe_no_sandbox = true;
  o.retry_delay_s = 0.01;
  Sandbox sb(o);
  REQUIRE(sb.mode() == "unsafe-no-sandbox");
  // No pid namespace here: only the uid finds the daemons that called setsid.
  auto progs = interleaved();
  progs.erase(progs.begin() + 3, progs.end() - 3);  // fork loop ... daemons, each with its correct ones
  for (const auto& p : progs) {
    RunResult r = sb.run(p.source, 0);
    check_result(p, r);
    INFO(p.name);
    CHECK(ys::suites::humaneval::detail::count_processes_of(sb.uids()[0]) == 0);
    CHECK(processes_with(token) == 0);
  }
}
