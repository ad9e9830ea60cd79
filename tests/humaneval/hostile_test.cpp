// Hostile programs in the sandbox: each must end as a failure within its limits, the
// harness must survive, no process may outlive the run, the host filesystem and network
// must be untouched. All run in parallel with a 2 s timeout.
#include "suites/humaneval/sandbox.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using namespace ys::suites::humaneval;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Processes whose command line or environment holds the token.
std::vector<std::string> processes_with(const std::string& token) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/proc", ec)) {
    std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string text = slurp(e.path() / "cmdline") + slurp(e.path() / "environ");
    if (text.find(token) != std::string::npos) found.push_back(name + ": " + slurp(e.path() / "cmdline"));
  }
  return found;
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir)) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  return names;
}

// A listening TCP socket on 127.0.0.1 (non-blocking); returns the fd and the port.
std::pair<int, int> listener() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return {fd, ntohs(a.sin_port)};
}

}  // namespace

TEST_CASE("sandbox: hostile programs are contained") {
  std::random_device rd;
  const std::string token = "YSHOSTILE" + std::to_string(rd()) + std::to_string(rd());
  const fs::path outside = fs::path(YS_BINARY_DIR) / ("ys_canary_" + token);
  fs::create_directories(outside);
  const fs::path canary = outside / "canary.txt";
  std::ofstream(canary) << "canary " << token << "\n";
  const auto before = listing(outside);
  auto [lfd, port] = listener();

  SandboxOptions o;
  o.limits.timeout_s = 2.0;
  o.workers = 12;
  o.env = {"YS_HOSTILE_MARKER=" + token};
  Sandbox sb(o);
  REQUIRE(sb.mode() == "bwrap");

  const std::string out = outside.string();
  const std::string tmp_target = "/tmp/" + token;  // the host's /tmp, invisible inside
  std::vector<std::pair<std::string, std::string>> progs = {
      {"infinite loop", "while True:\n    pass\n"},
      {"fork bomb", "import os\nwhile True:\n    os.fork()\n"},
      {"memory hog", "x = bytearray(20 * 1024 ** 3)\nx[-1] = 1\n"},
      {"10 GB write",
       "with open('big.bin', 'wb') as f:\n    for _ in range(10 * 1024):\n        f.write(b'\\0' * (1 << 20))\n"},
      {"write/delete outside",
       "import os\nok = []\n"
       "for p in ['" + out + "/new.txt', '/usr/" + token + "', '/etc/" + token + "', '/" + token + "']:\n"
       "    try:\n        open(p, 'w').write('x')\n        ok.append(p)\n    except OSError:\n        pass\n"
       "for p in ['" + canary.string() + "']:\n"
       "    try:\n        os.remove(p)\n        ok.append(p)\n    except OSError:\n        pass\n"
       "    try:\n        open(p, 'a').write('changed')\n        ok.append(p)\n    except OSError:\n        pass\n"
       "assert not ok, ok\nraise PermissionError('all blocked')\n"},
      {"socket localhost",
       "import socket\ns = socket.create_connection(('127.0.0.1', " + std::to_string(port) + "), timeout=1)\n"},
      {"socket internet", "import socket\ns = socket.create_connection(('1.1.1.1', 53), timeout=1)\n"},
      {"kill parent",
       "import os, time\nos.kill(os.getppid(), 9)\ntry:\n    os.kill(-1, 9)\nexcept OSError:\n    pass\n"
       "time.sleep(0.2)\nraise RuntimeError('still here')\n"},
      {"daemon",
       "import os, sys\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
       "        os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', '" + token + "'])\n"
       "    os._exit(0)\nimport time\ntime.sleep(0.3)\nraise SystemExit(3)\n"},
      {"read stdin", "data = input()\n"},
      {"write host tmp", "open('" + tmp_target + "', 'w').write('x')\nimport os\nos.listdir('" + out + "')\n"},
  };
  std::vector<std::string> sources;
  for (const auto& p : progs) sources.push_back(p.second);

  auto t0 = std::chrono::steady_clock::now();
  auto results = sb.run_all(sources);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  CHECK(secs < 20);
  REQUIRE(results.size() == progs.size());
  for (size_t i = 0; i < progs.size(); ++i) {
    INFO(progs[i].first << ": " << to_string(results[i].outcome) << " / " << results[i].detail << " / "
                        << results[i].err.substr(0, 300));
    CHECK(results[i].outcome != Outcome::passed);
    CHECK(results[i].wall_s < 2.0 + 1.5);
  }
  CHECK(results[0].outcome == Outcome::timed_out);
  CHECK(results[1].err.find("Resource temporarily unavailable") != std::string::npos);  // RLIMIT_NPROC hit
  CHECK(results[2].detail == "MemoryError");
  CHECK(results[3].detail.find("File too large") != std::string::npos);
  CHECK(results[4].detail == "PermissionError: all blocked");
  CHECK(results[9].detail.rfind("EOFError", 0) == 0);

  // No process with the marker survives (allow the kernel a moment to tear namespaces down).
  std::vector<std::string> left;
  for (int i = 0; i < 40; ++i) {
    left = processes_with(token);
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  INFO("left over: " << (left.empty() ? "" : left.front()));
  CHECK(left.empty());

  // The host is untouched: canary unchanged, no new files, nothing connected.
  CHECK(slurp(canary) == "canary " + token + "\n");
  CHECK(listing(outside) == before);
  CHECK_FALSE(fs::exists("/usr/" + token));
  CHECK_FALSE(fs::exists("/etc/" + token));
  CHECK_FALSE(fs::exists("/" + token));
  CHECK_FALSE(fs::exists(tmp_target));
  CHECK(::accept(lfd, nullptr, nullptr) < 0);
  ::close(lfd);
  fs::remove_all(outside);
}
