#include "suites/humaneval/sandbox_process.h"

#include "common/error.h"
#include "suites/humaneval/sandbox_uids.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace ys::suites::humaneval::detail {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long the harness waits for a killed tree to be reaped before giving up on it.
constexpr auto kReapBound = std::chrono::seconds(10);
// Between kill passes while the tree is still there (catches processes forked meanwhile).
constexpr auto kKillEvery = milliseconds(50);
// After a normal end, how long the keeper may take to reap the rest before kills start:
// with a pid namespace nothing is left (a safety net only); without, daemons may be.
constexpr auto kLingerPidNs = milliseconds(1000);
constexpr auto kLingerPlain = milliseconds(50);
// After the main child ended: how long grandchildren may keep the output pipes open.
constexpr auto kPipeGrace = milliseconds(200);

// The keeper's reports: {kind, value}, 8 bytes each (atomic pipe writes).
enum : int32_t { kRecPid = 1, kRecForkFailed = 2, kRecStatus = 3 };

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd(o.fd) { o.fd = -1; }
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

std::vector<char*> c_array(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

struct ExecArgs {
  int devnull, out_w, err_w;
  char** argv;
  char** envp;
  rlimit lims[5];
  int res[5];
};

// Only async-signal-safe calls from here to execve: the harness may be multithreaded.
[[noreturn]] void exec_child(const ChildSpec& s, const ExecArgs& a) {
  // Its own session (and process group): with the scheduler's autogroups (Debian's
  // default) the program's processes then share one CPU weight, so a fork bomb cannot
  // starve the harness or the programs of other workers.
  ::setsid();
  if (::dup2(a.devnull, 0) < 0 || ::dup2(a.out_w, 1) < 0 || ::dup2(a.err_w, 2) < 0) ::_exit(126);
  if (s.program_fd >= 0) {
    if (s.program_fd == 3) {
      ::fcntl(3, F_SETFD, 0);
    } else if (::dup2(s.program_fd, 3) < 0) {
      ::_exit(126);
    }
  }
  for (int i = 0; i < 5; ++i)
    if (::setrlimit(a.res[i], &a.lims[i]) != 0) ::_exit(126);
  if (s.drop_uid != 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(s.drop_uid) != 0 || ::setuid(s.drop_uid) != 0) ::_exit(126);
  }
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!s.workdir.empty() && ::chdir(s.workdir.c_str()) != 0) ::_exit(126);
  ::execve(a.argv[0], a.argv, a.envp);
  ::_exit(127);
}

void write_record(int fd, int32_t kind, int32_t value) {
  const int32_t rec[2] = {kind, value};
  while (::write(fd, rec, sizeof rec) < 0 && errno == EINTR) {}
}

// The keeper (see the header): a forked copy of the harness, async-signal-safe calls only.
[[noreturn]] void keeper(const ChildSpec& s, const ExecArgs& a, int status_w, pid_t harness) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != harness) ::_exit(125);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  const rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGCHLD, &dfl, nullptr);
  const pid_t child = ::fork();
  if (child == 0) exec_child(s, a);
  if (child < 0) {
    write_record(status_w, kRecForkFailed, errno);
    ::_exit(125);
  }
  write_record(status_w, kRecPid, child);
  // Keep only the status pipe: the harness's other descriptors (other workers' output
  // pipes among them) must not stay open here while the program runs.
  if (status_w > 0) ::close_range(0, static_cast<unsigned>(status_w) - 1, 0);
  ::close_range(static_cast<unsigned>(status_w) + 1, ~0U, 0);
  for (;;) {
    int st = 0;
    pid_t p = ::waitpid(-1, &st, 0);
    if (p < 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: nothing of the tree is left
    }
    if (p == child) write_record(status_w, kRecStatus, st);
  }
  ::_exit(0);
}

constexpr size_t kTail = 256;

// One captured stream: the first bytes checked against the start marker (stdout), the
// rest kept up to the cap, the last kTail bytes always.
struct Capture {
  Capture(std::string& d, bool& t, size_t c, std::string* tl = nullptr, std::string m = "", bool* st = nullptr)
      : data(d), truncated(t), cap(c), tail(tl), marker(std::move(m)), started(st) {}
  std::string& data;
  bool& truncated;
  size_t cap;
  std::string* tail;
  std::string marker;  // empty: nothing to check
  bool* started;
  std::string head;
  bool head_done = false;

  void keep(const char* p, size_t n) {
    size_t room = data.size() < cap ? cap - data.size() : 0;
    size_t take = std::min(room, n);
    data.append(p, take);
    if (take < n) truncated = true;
  }
  void add(const char* p, size_t n) {
    if (tail) {
      tail->append(p, n);
      if (tail->size() > kTail) tail->erase(0, tail->size() - kTail);
    }
    if (!head_done && !marker.empty()) {
      size_t take = std::min(marker.size() - head.size(), n);
      head.append(p, take);
      p += take;
      n -= take;
      if (marker.compare(0, head.size(), head) != 0) {
        head_done = true;
        keep(head.data(), head.size());
      } else if (head.size() == marker.size()) {
        head_done = true;
        *started = true;
      }
    }
    if (n > 0) keep(p, n);
  }
};

// Reads what is there, at most 1 MiB (a program writing without end must not keep the
// caller from its deadline); closes and sets fd to -1 at EOF.
void drain(int& fd, Capture& c) {
  char chunk[16384];
  for (int reads = 0; reads < 64;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      c.add(chunk, static_cast<size_t>(n));
      ++reads;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    ::close(fd);  // EOF or error
    fd = -1;
    return;
  }
}

// The keeper's status pipe: records are 8 bytes; EOF means the keeper has exited.
struct StatusReader {
  explicit StatusReader(int f) : fd(f) {}
  int fd;
  std::string pending;
  bool child_ended = false;
  int child_status = 0;
  bool eof = false;

  void read_some() {
    char buf[256];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        pending.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) eof = true;
      break;
    }
    while (pending.size() >= 8) {
      int32_t rec[2];
      std::memcpy(rec, pending.data(), 8);
      pending.erase(0, 8);
      if (rec[0] == kRecStatus) {
        child_ended = true;
        child_status = rec[1];
      }
    }
  }
};

void set_exit(ChildExit& ex, int status) {
  if (WIFEXITED(status)) {
    ex.exited = true;
    ex.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    ex.signal = WTERMSIG(status);
  }
}

int ms_until(Clock::time_point t) {
  auto d = std::chrono::duration_cast<milliseconds>(t - Clock::now()).count();
  return static_cast<int>(std::clamp<int64_t>(d + 1, 0, 1000));
}

// Output and the main child's end, until it ended (plus the pipe grace) or the deadline.
// Returns whether the tree must be killed now.
bool collect(int& out_r, int& err_r, StatusReader& st, Capture& out, Capture& err, const SandboxLimits& lim,
             ChildExit& ex, Clock::time_point start) {
  const auto deadline = start + std::chrono::microseconds(static_cast<int64_t>(lim.timeout_s * 1e6));
  Clock::time_point ended_at{};
  for (;;) {
    auto now = Clock::now();
    if (st.child_ended && ended_at == Clock::time_point{}) {
      ended_at = now;
      set_exit(ex, st.child_status);
    }
    if (st.child_ended) {
      if (out_r < 0 && err_r < 0) return false;
      if (now - ended_at > kPipeGrace) return true;  // grandchildren hold the pipes
    } else if (now >= deadline || st.eof) {
      ex.timed_out = !st.eof;
      return true;
    }
    pollfd fds[3];
    nfds_t n = 0;
    if (out_r >= 0) fds[n++] = {out_r, POLLIN, 0};
    if (err_r >= 0) fds[n++] = {err_r, POLLIN, 0};
    if (!st.child_ended) fds[n++] = {st.fd, POLLIN, 0};
    int rc = ::poll(fds, n, ms_until(st.child_ended ? ended_at + kPipeGrace : deadline));
    if (rc < 0 && errno != EINTR) return true;
    if (out_r >= 0) drain(out_r, out);
    if (err_r >= 0) drain(err_r, err);
    if (!st.child_ended) st.read_some();
  }
}

// Kills what is left of the tree until the keeper has reaped all of it (its status pipe
// reaches EOF when it exits), bounded by kReapBound. Returns whether the tree is gone.
bool finish_tree(const ChildSpec& spec, pid_t child, StatusReader& st, bool kill_now) {
  const auto give_up = Clock::now() + kReapBound;
  auto next_kill = Clock::now();
  if (!kill_now) next_kill += spec.pid_namespace ? kLingerPidNs : kLingerPlain;
  while (!st.eof) {
    auto now = Clock::now();
    if (now >= give_up) return false;
    if (now >= next_kill) {
      // As root the worker's uid is leased: every process running as it is this tree's.
      if (spec.drop_uid != 0) {
        kill_all_of(spec.drop_uid);
      } else {
        ::kill(-child, SIGKILL);  // the main child's group; bwrap's pid namespace dies with it
      }
      next_kill = now + kKillEvery;
    }
    pollfd p{st.fd, POLLIN, 0};
    ::poll(&p, 1, ms_until(std::min(next_kill, give_up)));
    st.read_some();
  }
  return true;
}

struct Pipe {
  Fd r, w;
};

Pipe make_pipe() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) fail(ErrorKind::io, "sandbox: pipe failed: {}", std::strerror(errno));
  Pipe out;
  out.r.fd = p[0];
  out.w.fd = p[1];
  return out;
}

// The keeper's first record (written right after its fork): the main child's pid,
// -errno when that fork failed, 0 when the keeper ended without a word.
pid_t read_child_pid(int status_fd) {
  int32_t rec[2] = {0, 0};
  size_t got = 0;
  while (got < sizeof rec) {
    ssize_t n = ::read(status_fd, reinterpret_cast<char*>(rec) + got, sizeof rec - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    got += static_cast<size_t>(n);
  }
  if (rec[0] == kRecPid) return rec[1];
  return rec[0] == kRecForkFailed ? -rec[1] : 0;
}

}  // namespace

int make_program_fd(const std::string& bytes) {
  int fd = ::memfd_create("ys_program", MFD_CLOEXEC);
  if (fd < 0) fail(ErrorKind::io, "sandbox: memfd_create failed: {}", std::strerror(errno));
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      fail(ErrorKind::io, "sandbox: cannot write the program to a memfd: {}", std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

ChildExit run_child(const ChildSpec& spec) {
  ChildExit ex;
  Pipe out_p = make_pipe(), err_p = make_pipe(), status_p = make_pipe();
  Fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (devnull.fd < 0) fail(ErrorKind::io, "sandbox: cannot open /dev/null: {}", std::strerror(errno));

  const auto& L = spec.limits;
  rlim_t cpu = L.cpu_s > 0 ? static_cast<rlim_t>(L.cpu_s) : static_cast<rlim_t>(std::ceil(L.timeout_s) + 1);
  auto argv = c_array(spec.argv);
  auto envp = c_array(spec.env);
  ExecArgs a{
      devnull.fd,
      out_p.w.fd,
      err_p.w.fd,
      argv.data(),
      envp.data(),
      {{cpu, cpu + 1}, {L.address_space, L.address_space}, {L.file_size, L.file_size}, {L.nproc, L.nproc}, {0, 0}},
      {RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_NPROC, RLIMIT_CORE}};

  const auto start = Clock::now();
  const pid_t harness = ::getpid();
  const pid_t kp = ::fork();
  if (kp < 0) fail(ErrorKind::io, "sandbox: fork failed: {}", std::strerror(errno));
  if (kp == 0) keeper(spec, a, status_p.w.fd, harness);
  out_p.w.reset();
  err_p.w.reset();
  status_p.w.reset();
  auto reap_keeper = [kp] {
    int status = 0;
    while (::waitpid(kp, &status, 0) < 0 && errno == EINTR) {}
  };
  const pid_t child = read_child_pid(status_p.r.fd);
  if (child <= 0) {
    ::kill(kp, SIGKILL);
    reap_keeper();
    fail(ErrorKind::io, "sandbox: could not start the program's process: {}",
         child < 0 ? std::strerror(-child) : "the keeper process ended");
  }
  for (int fd : {out_p.r.fd, err_p.r.fd, status_p.r.fd}) ::fcntl(fd, F_SETFL, O_NONBLOCK);

  StatusReader st(status_p.r.fd);
  Capture out(ex.out, ex.out_truncated, L.output_cap, &ex.out_tail, spec.start_marker, &ex.started);
  Capture err(ex.err, ex.err_truncated, L.output_cap);
  bool kill_now = collect(out_p.r.fd, err_p.r.fd, st, out, err, L, ex, start);
  ex.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  ex.tree_gone = finish_tree(spec, child, st, kill_now);
  // What the tree wrote before it ended (its writers are gone: at most a pipe's worth).
  if (out_p.r.fd >= 0) drain(out_p.r.fd, out);
  if (err_p.r.fd >= 0) drain(err_p.r.fd, err);
  if (!ex.tree_gone) ::kill(kp, SIGKILL);  // stuck processes (uninterruptible): give up on them
  reap_keeper();
  if (!ex.exited && ex.signal == 0 && st.child_ended) set_exit(ex, st.child_status);
  return ex;
}

}  // namespace ys::suites::humaneval::detail
