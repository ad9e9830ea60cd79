#include "suites/humaneval/sandbox.h"

#include "common/error.h"
#include "suites/humaneval/sandbox_process.h"

#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <thread>

namespace ys::suites::humaneval {
namespace fs = std::filesystem;

const char* to_string(Outcome o) {
  switch (o) {
    case Outcome::passed: return "passed";
    case Outcome::failed: return "failed";
    case Outcome::timed_out: return "timed out";
    case Outcome::killed: return "killed";
  }
  return "?";
}

std::string signal_name(int sig) {
  static const std::pair<int, const char*> names[] = {
      {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
      {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
      {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
      {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGXCPU, "SIGXCPU"},
      {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"}};
  for (const auto& [n, name] : names)
    if (n == sig) return name;
  return fmt::format("SIG{}", sig);
}

std::string last_error_line(const std::string& err) {
  size_t end = err.size();
  while (end > 0) {
    size_t start = err.rfind('\n', end - 1);
    start = start == std::string::npos ? 0 : start + 1;
    std::string line = err.substr(start, end - start);
    auto b = line.find_first_not_of(" \t\r");
    if (b != std::string::npos) {
      auto e = line.find_last_not_of(" \t\r");
      line = line.substr(b, e - b + 1);
      if (line.size() > 300) line.resize(300);
      return line;
    }
    end = start == 0 ? 0 : start - 1;
  }
  return "";
}

namespace {

std::string find_python(const std::string& requested) {
  if (!requested.empty()) {
    if (::access(requested.c_str(), X_OK) != 0)
      fail(ErrorKind::io, "sandbox: python interpreter '{}' is not executable", requested);
    return requested;
  }
  for (const char* p : {"/usr/bin/python3", "/usr/local/bin/python3"})
    if (::access(p, X_OK) == 0) return p;
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  size_t pos = 0;
  while (pos <= dirs.size()) {
    size_t next = dirs.find(':', pos);
    if (next == std::string::npos) next = dirs.size();
    fs::path cand = fs::path(dirs.substr(pos, next - pos)) / "python3";
    if (next > pos && ::access(cand.c_str(), X_OK) == 0) return fs::weakly_canonical(cand).string();
    pos = next + 1;
  }
  fail(ErrorKind::io, "sandbox: no python3 found (looked at /usr/bin/python3 and PATH)");
}

std::string find_bwrap() {
  for (const char* p : {"/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

std::string random_nonce() {
  std::random_device rd;
  return fmt::format("YS_DONE_{:08x}{:08x}{:08x}", rd(), rd(), rd());
}

void add_system_binds(std::vector<std::string>& a, const std::string& python) {
  for (const char* d : {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32", "/etc"}) {
    std::error_code ec;
    fs::path p(d);
    if (fs::is_symlink(p, ec)) {
      a.insert(a.end(), {"--symlink", fs::read_symlink(p, ec).string(), d});
    } else if (fs::is_directory(p, ec)) {
      a.insert(a.end(), {"--ro-bind", d, d});
    }
  }
  // The interpreter's installation when it lives outside /usr (pyenv, conda...).
  std::error_code ec;
  fs::path real = fs::canonical(python, ec);
  if (!ec && real.string().rfind("/usr/", 0) != 0) {
    fs::path prefix = real.parent_path().parent_path();
    a.insert(a.end(), {"--ro-bind", prefix.string(), prefix.string()});
  }
}

}  // namespace

Sandbox::Sandbox(SandboxOptions options) : options_(std::move(options)) {
  if (options_.limits.timeout_s <= 0 || options_.limits.timeout_s > 3600)
    fail(ErrorKind::invalid_input, "sandbox: timeout {} s is out of range (0, 3600]", options_.limits.timeout_s);
  python_ = find_python(options_.python);
  int hw = static_cast<int>(std::thread::hardware_concurrency());
  workers_ = options_.workers > 0 ? options_.workers : std::max(1, hw);
  mode_ = "bwrap";
  use_bwrap_ = !find_bwrap().empty();
  std::string why = use_bwrap_ ? "" : "bwrap (bubblewrap) is not installed";
  if (use_bwrap_) {
    RunResult probe = run("pass\n");
    if (probe.outcome != Outcome::passed) {
      use_bwrap_ = false;
      why = fmt::format("`bwrap ... python3` did not run ({}: {} {})", to_string(probe.outcome), probe.detail,
                        last_error_line(probe.err));
    }
  }
  if (!use_bwrap_) {
    if (!options_.unsafe_no_sandbox)
      fail(ErrorKind::unsupported,
           "sandbox: {}; refusing to run model-written code without isolation "
           "(pass --unsafe-no-sandbox to run it with rlimits only, inside a throwaway VM/container)",
           why);
    mode_ = "unsafe-no-sandbox";
  }
}

RunResult Sandbox::run(const std::string& program, int slot) const {
  const std::string nonce = random_nonce();
  std::string source = program + "\n\nimport sys as _ys_sys\n_ys_sys.stdout.flush()\n_ys_sys.stdout.write('\\n" +
                       nonce + "\\n')\n_ys_sys.stdout.flush()\n";
  detail::ChildSpec spec;
  spec.limits = options_.limits;
  spec.env = {"PATH=/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8", "OMP_NUM_THREADS=1", "PYTHONHASHSEED=0"};
  spec.env.insert(spec.env.end(), options_.env.begin(), options_.env.end());
  spec.drop_uid = ::geteuid() == 0 ? static_cast<uid_t>(60000 + std::max(0, slot) % 1000) : 0;
  int fd = detail::make_program_fd(source);
  fs::path tmpdir;
  if (use_bwrap_) {
    spec.program_fd = fd;
    spec.argv = {find_bwrap(), "--unshare-all", "--die-with-parent", "--new-session"};
    add_system_binds(spec.argv, python_);
    spec.argv.insert(spec.argv.end(), {"--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--file", "3",
                                       "/tmp/prog.py", "--remount-ro", "/", "--chdir", "/tmp", "--", python_, "-I", "-B", "prog.py"});
  } else {
    ::close(fd);
    fd = -1;
    std::string tmpl = (fs::temp_directory_path() / "ys_sandbox_XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) fail(ErrorKind::io, "sandbox: mkdtemp failed: {}", std::strerror(errno));
    tmpdir = tmpl;
    std::ofstream(tmpdir / "prog.py", std::ios::binary) << source;
    if (spec.drop_uid != 0 && ::chown(tmpdir.c_str(), spec.drop_uid, spec.drop_uid) != 0)
      fail(ErrorKind::io, "sandbox: chown {} failed: {}", tmpdir.string(), std::strerror(errno));
    spec.workdir = tmpdir.string();
    spec.argv = {python_, "-I", "-B", "prog.py"};
  }
  detail::ChildExit ex;
  try {
    ex = detail::run_child(spec);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    if (!tmpdir.empty()) fs::remove_all(tmpdir);
    throw;
  }
  if (fd >= 0) ::close(fd);
  if (!tmpdir.empty()) {
    std::error_code ec;
    fs::remove_all(tmpdir, ec);
  }

  RunResult r;
  r.exit_code = ex.exited ? ex.code : -1;
  r.signal = ex.signal;
  r.wall_s = ex.wall_s;
  r.err = std::move(ex.err);
  r.err_truncated = ex.err_truncated;
  r.out_truncated = ex.out_truncated;
  bool finished = ex.out_tail.find(nonce) != std::string::npos;
  r.out = std::move(ex.out);
  if (auto p = r.out.find("\n" + nonce); p != std::string::npos) r.out.resize(p);
  int sig = ex.signal;
  if (use_bwrap_ && ex.exited && ex.code > 128 && ex.code <= 128 + 64) sig = ex.code - 128;  // bwrap: 128+sig
  if (ex.timed_out) {
    r.outcome = Outcome::timed_out;
    r.detail = "timed out";
  } else if (ex.spawn_failed) {
    r.outcome = Outcome::failed;
    r.detail = fmt::format("sandbox: could not start {} (exit {})", spec.argv[0], ex.code);
  } else if (sig != 0) {
    r.outcome = Outcome::killed;
    r.signal = sig;
    r.detail = signal_name(sig);
  } else if (ex.code == 0 && finished) {
    r.outcome = Outcome::passed;
  } else {
    r.outcome = Outcome::failed;
    r.detail = ex.code == 0 ? "exited before the tests finished" : last_error_line(r.err);
    if (r.detail.empty()) r.detail = fmt::format("exit code {}", ex.code);
  }
  return r;
}

std::vector<RunResult> Sandbox::run_all(const std::vector<std::string>& programs) const {
  std::vector<RunResult> results(programs.size());
  std::atomic<size_t> next{0};
  std::exception_ptr error;
  std::mutex mu;
  auto work = [&](int slot) {
    for (size_t i; (i = next.fetch_add(1)) < programs.size();) {
      try {
        results[i] = run(programs[i], slot);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
      }
    }
  };
  int n = static_cast<int>(std::min<size_t>(static_cast<size_t>(workers_), programs.size()));
  std::vector<std::thread> threads;
  for (int w = 1; w < n; ++w) threads.emplace_back(work, w);
  work(0);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  return results;
}

}  // namespace ys::suites::humaneval
