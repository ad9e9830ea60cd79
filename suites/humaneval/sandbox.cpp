#include "suites/humaneval/sandbox.h"

#include "common/error.h"
#include "suites/humaneval/sandbox_process.h"
#include "suites/humaneval/sandbox_uids.h"

#include <fmt/format.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
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
    case Outcome::sandbox_error: return "sandbox error";
  }
  return "?";
}

std::string signal_name(int sig) {
  static const std::pair<int, const char*> names[] = {
      {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},   {SIGTRAP, "SIGTRAP"},
      {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},   {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"},
      {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"}, {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},
      {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"}};
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

std::string find_bwrap(const std::string& requested) {
  if (!requested.empty()) {
    if (::access(requested.c_str(), X_OK) != 0)
      fail(ErrorKind::io, "sandbox: bubblewrap '{}' is not executable", requested);
    return requested;
  }
  for (const char* p : {"/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"})
    if (::access(p, X_OK) == 0) return p;
  return "";
}

std::string random_nonce(const char* prefix) {
  std::random_device rd;
  return fmt::format("{}{:08x}{:08x}{:08x}", prefix, rd(), rd(), rd());
}

// python3 -c BOOTSTRAP: the start marker goes out before any program code runs, then
// prog.py runs as the __main__ module, compiled on its own (so `from __future__` and
// coding lines work as in a script). runpy would do the same but costs ~10 ms of imports.
std::string bootstrap(const std::string& start_marker) {
  return "import sys\n"
         "sys.stdout.write('" +
         start_marker +
         "')\n"
         "sys.stdout.flush()\n"
         "m = type(sys)('__main__')\n"
         "m.__file__ = 'prog.py'\n"
         "sys.modules['__main__'] = m\n"
         "with open('prog.py', 'rb') as f:\n"
         "    c = compile(f.read(), 'prog.py', 'exec')\n"
         "exec(c, m.__dict__)\n";
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

// bwrap's arguments up to "--" (the program is fd 3, copied to /tmp/prog.py).
std::vector<std::string> bwrap_argv(const std::string& bwrap, const std::string& python, uint64_t tmp_size) {
  std::vector<std::string> a = {bwrap, "--unshare-all", "--die-with-parent", "--new-session"};
  add_system_binds(a, python);
  a.insert(a.end(), {"--proc", "/proc", "--dev", "/dev", "--size", std::to_string(tmp_size), "--tmpfs", "/tmp",
                     "--file", "3", "/tmp/prog.py", "--remount-ro", "/", "--chdir", "/tmp", "--"});
  return a;
}

}  // namespace

struct Sandbox::Slot {
  detail::UidLease lease;  // uid 0 (no lease) unless the harness runs as root
  std::mutex mu;
  bool dirty = false;  // a previous program's processes could not all be reaped
};

Sandbox::Sandbox(SandboxOptions options) : options_(std::move(options)) {
  if (options_.limits.timeout_s <= 0 || options_.limits.timeout_s > 3600)
    fail(ErrorKind::invalid_input, "sandbox: timeout {} s is out of range (0, 3600]", options_.limits.timeout_s);
  if (options_.start_attempts < 1 || options_.start_attempts > 100 || options_.retry_delay_s < 0 ||
      options_.retry_delay_s > 60)
    fail(ErrorKind::invalid_input, "sandbox: start_attempts {} / retry_delay_s {} out of range ([1, 100] / [0, 60])",
         options_.start_attempts, options_.retry_delay_s);
  python_ = find_python(options_.python);
  int hw = static_cast<int>(std::thread::hardware_concurrency());
  workers_ = options_.workers > 0 ? options_.workers : std::max(1, hw);
  std::vector<detail::UidLease> leases;
  if (::geteuid() == 0) leases = detail::lease_uids(workers_);
  for (int w = 0; w < workers_; ++w) {
    slots_.push_back(std::make_unique<Slot>());
    if (!leases.empty()) slots_.back()->lease = std::move(leases[static_cast<size_t>(w)]);
  }
  mode_ = "bwrap";
  bwrap_ = find_bwrap(options_.bwrap);
  use_bwrap_ = !bwrap_.empty();
  std::string why = use_bwrap_ ? "" : "bwrap (bubblewrap) is not installed";
  if (use_bwrap_) {
    RunResult probe = run("pass\n");
    if (probe.outcome != Outcome::passed) {
      use_bwrap_ = false;
      std::string err = last_error_line(probe.err);
      why = fmt::format("`bwrap ... python3` did not run ({}: {}{})", to_string(probe.outcome), probe.detail,
                        err.empty() || err == probe.detail ? "" : " / " + err);
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

Sandbox::~Sandbox() = default;

std::vector<uid_t> Sandbox::uids() const {
  std::vector<uid_t> out;
  for (const auto& s : slots_)
    if (s->lease.uid() != 0) out.push_back(s->lease.uid());
  return out;
}

RunResult Sandbox::run(const std::string& program, int slot) const {
  Slot& s = *slots_[static_cast<size_t>(std::max(0, slot)) % slots_.size()];
  std::lock_guard<std::mutex> lock(s.mu);
  double delay = options_.retry_delay_s;
  for (int attempt = 1;; ++attempt) {
    RunResult r = run_once(program, s);
    r.attempts = attempt;
    if (r.outcome != Outcome::sandbox_error || attempt >= options_.start_attempts) return r;
    std::this_thread::sleep_for(std::chrono::duration<double>(delay));
    delay *= 2;
  }
}

namespace {

// Kills what a previous program left under the uid and waits (bounded) until none is left.
bool settle_uid(uid_t uid) {
  for (int i = 0; i < 200; ++i) {
    if (detail::count_processes_of(uid) == 0) return true;
    detail::kill_all_of(uid);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return detail::count_processes_of(uid) == 0;
}

// The outcome of a run that got as far as starting its process tree.
RunResult classify(detail::ChildExit& ex, const std::string& nonce, bool bwrap, const std::string& argv0) {
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
  if (!ex.started) {  // no program code ran: whatever happened is the sandbox's
    r.outcome = Outcome::sandbox_error;
    r.detail = last_error_line(r.err);
    if (ex.timed_out) {
      r.detail = "the program had not started when its time ran out" + (r.detail.empty() ? "" : " (" + r.detail + ")");
    } else if (r.detail.empty()) {
      r.detail = ex.exited ? fmt::format("{} exited with code {} before the program started", argv0, ex.code)
                           : fmt::format("{} ended by {} before the program started", argv0, signal_name(ex.signal));
    }
    return r;
  }
  int sig = ex.signal;
  if (bwrap && ex.exited && ex.code > 128 && ex.code <= 128 + 64) sig = ex.code - 128;  // bwrap: 128+sig
  if (ex.timed_out) {
    r.outcome = Outcome::timed_out;
    r.detail = "timed out";
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

RunResult sandbox_error(std::string detail) {
  RunResult r;
  r.outcome = Outcome::sandbox_error;
  r.detail = std::move(detail);
  return r;
}

}  // namespace

RunResult Sandbox::run_once(const std::string& program, Slot& slot) const {
  const uid_t uid = slot.lease.uid();
  if (slot.dirty && uid != 0) {
    if (!settle_uid(uid))
      return sandbox_error(
          fmt::format("processes of an earlier program still run as uid {} and cannot be killed", uid));
    slot.dirty = false;
  }
  const std::string nonce = random_nonce("YS_DONE_");
  const std::string start_marker = random_nonce("YS_START_");
  std::string source = program + "\n\nimport sys as _ys_sys\n_ys_sys.stdout.flush()\n_ys_sys.stdout.write('\\n" +
                       nonce + "\\n')\n_ys_sys.stdout.flush()\n";
  detail::ChildSpec spec;
  spec.limits = options_.limits;
  spec.env = {"PATH=/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8", "OMP_NUM_THREADS=1", "PYTHONHASHSEED=0"};
  spec.env.insert(spec.env.end(), options_.env.begin(), options_.env.end());
  spec.drop_uid = uid;
  spec.start_marker = start_marker;
  const std::vector<std::string> python_argv = {python_, "-I", "-B", "-c", bootstrap(start_marker)};
  int fd = -1;
  fs::path tmpdir;
  auto cleanup = [&] {
    if (fd >= 0) ::close(fd);
    fd = -1;
    std::error_code ec;
    if (!tmpdir.empty()) fs::remove_all(tmpdir, ec);
  };
  detail::ChildExit ex;
  try {
    fd = detail::make_program_fd(source);
    if (use_bwrap_) {
      spec.program_fd = fd;
      spec.pid_namespace = true;
      spec.argv = bwrap_argv(bwrap_, python_, options_.limits.tmp_size);
    } else {
      ::close(fd);
      fd = -1;
      std::string tmpl = (fs::temp_directory_path() / "ys_sandbox_XXXXXX").string();
      if (!::mkdtemp(tmpl.data())) fail(ErrorKind::io, "sandbox: mkdtemp failed: {}", std::strerror(errno));
      tmpdir = tmpl;
      std::ofstream(tmpdir / "prog.py", std::ios::binary) << source;
      if (uid != 0 && ::chown(tmpdir.c_str(), uid, uid) != 0)
        fail(ErrorKind::io, "sandbox: chown {} failed: {}", tmpdir.string(), std::strerror(errno));
      spec.workdir = tmpdir.string();
    }
    spec.argv.insert(spec.argv.end(), python_argv.begin(), python_argv.end());
    ex = detail::run_child(spec);
  } catch (const Error& e) {  // pipes, fork, memfd, temp dir: limits of the host
    cleanup();
    return sandbox_error(e.what());
  }
  cleanup();
  if (!ex.tree_gone) slot.dirty = true;
  return classify(ex, nonce, use_bwrap_, spec.argv[0]);
}

std::vector<RunResult> Sandbox::run_all(const std::vector<std::string>& programs) const {
  std::vector<RunResult> results(programs.size());
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::exception_ptr error;
  size_t unstarted = programs.size();  // the first program the sandbox could not start
  std::mutex mu;
  auto work = [&](int slot) {
    for (size_t i; !stop && (i = next.fetch_add(1)) < programs.size();) {
      try {
        results[i] = run(programs[i], slot);
        if (results[i].outcome == Outcome::sandbox_error) {
          std::lock_guard<std::mutex> lock(mu);
          unstarted = std::min(unstarted, i);
          stop = true;
        }
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
        stop = true;
      }
    }
  };
  int n = static_cast<int>(std::min<size_t>(static_cast<size_t>(workers_), programs.size()));
  std::vector<std::thread> threads;
  for (int w = 1; w < n; ++w) threads.emplace_back(work, w);
  work(0);
  for (auto& t : threads) t.join();
  if (error) std::rethrow_exception(error);
  if (unstarted < programs.size()) {
    const RunResult& r = results[unstarted];
    fail(ErrorKind::unsupported,
         "sandbox: program {} of {} could not be started after {} tries: {}. That is a failure of the sandbox or a "
         "limit of this host, not a result of the program, so nothing was scored; check free memory, `ulimit -u` and "
         "/proc/sys/user/max_user_namespaces, or use fewer workers",
         unstarted + 1, programs.size(), r.attempts, r.detail);
  }
  return results;
}
}  // namespace ys::suites::humaneval
