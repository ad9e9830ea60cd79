#include "suites/humaneval/sandbox_process.h"

#include "common/error.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

namespace ys::suites::humaneval::detail {
namespace {

using Clock = std::chrono::steady_clock;

struct Fd {
  int fd = -1;
  explicit Fd(int f = -1) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
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

// Only async-signal-safe calls from here to execve: the harness may be multithreaded.
[[noreturn]] void exec_child(const ChildSpec& s, int devnull, int out_w, int err_w, char** argv,
                             char** envp, const rlimit (&lims)[5], const int (&res)[5]) {
  ::setpgid(0, 0);
  if (::dup2(devnull, 0) < 0 || ::dup2(out_w, 1) < 0 || ::dup2(err_w, 2) < 0) ::_exit(126);
  if (s.program_fd >= 0) {
    if (s.program_fd == 3) {
      ::fcntl(3, F_SETFD, 0);
    } else if (::dup2(s.program_fd, 3) < 0) {
      ::_exit(126);
    }
  }
  for (int i = 0; i < 5; ++i)
    if (::setrlimit(res[i], &lims[i]) != 0) ::_exit(126);
  if (s.drop_uid != 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(s.drop_uid) != 0 || ::setuid(s.drop_uid) != 0)
      ::_exit(126);
  }
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!s.workdir.empty() && ::chdir(s.workdir.c_str()) != 0) ::_exit(126);
  ::execve(argv[0], argv, envp);
  ::_exit(127);
}

constexpr size_t kTail = 256;

void drain(int& fd, std::string& buf, bool& truncated, size_t cap, std::string* tail) {
  char chunk[16384];
  for (;;) {
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n > 0) {
      size_t room = buf.size() < cap ? cap - buf.size() : 0;
      size_t take = std::min(room, static_cast<size_t>(n));
      buf.append(chunk, take);
      if (take < static_cast<size_t>(n)) truncated = true;
      if (tail) {
        tail->append(chunk, static_cast<size_t>(n));
        if (tail->size() > kTail) tail->erase(0, tail->size() - kTail);
      }
      continue;
    }
    if (n < 0 && (errno == EINTR)) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    ::close(fd);  // EOF or error
    fd = -1;
    return;
  }
}

// Peeks (without reaping) whether pid has ended; fills the exit fields when so.
bool peek_exit(pid_t pid, ChildExit& ex) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return false;
  if (info.si_pid != pid) return false;
  if (info.si_code == CLD_EXITED) {
    ex.exited = true;
    ex.code = info.si_status;
  } else {
    ex.signal = info.si_status;
  }
  return true;
}

void collect(pid_t pid, int& out_r, int& err_r, const SandboxLimits& lim, ChildExit& ex) {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::microseconds(static_cast<int64_t>(lim.timeout_s * 1e6));
  bool ended = false;
  Clock::time_point ended_at{};
  for (;;) {
    auto now = Clock::now();
    if (!ended && peek_exit(pid, ex)) {
      ended = true;
      ended_at = now;
    }
    // Pipes closed and child gone; or grandchildren hold the pipes 200 ms after it ended.
    if (ended && ((out_r < 0 && err_r < 0) || now - ended_at > std::chrono::milliseconds(200))) break;
    if (!ended && now >= deadline) {
      ex.timed_out = true;
      break;
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (out_r >= 0) fds[n++] = {out_r, POLLIN, 0};
    if (err_r >= 0) fds[n++] = {err_r, POLLIN, 0};
    int wait_ms = 10;
    if (n == 0) {
      ::usleep(2000);
      continue;
    }
    int rc = ::poll(fds, n, wait_ms);
    if (rc < 0 && errno != EINTR) break;
    if (out_r >= 0) drain(out_r, ex.out, ex.out_truncated, lim.output_cap, &ex.out_tail);
    if (err_r >= 0) drain(err_r, ex.err, ex.err_truncated, lim.output_cap, nullptr);
  }
  ex.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
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
  int op[2], ep[2];
  if (::pipe2(op, O_CLOEXEC) != 0) fail(ErrorKind::io, "sandbox: pipe failed: {}", std::strerror(errno));
  Fd out_r(op[0]), out_w(op[1]);
  if (::pipe2(ep, O_CLOEXEC) != 0) fail(ErrorKind::io, "sandbox: pipe failed: {}", std::strerror(errno));
  Fd err_r(ep[0]), err_w(ep[1]);
  Fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (devnull.fd < 0) fail(ErrorKind::io, "sandbox: cannot open /dev/null: {}", std::strerror(errno));

  const auto& L = spec.limits;
  rlim_t cpu = L.cpu_s > 0 ? static_cast<rlim_t>(L.cpu_s) : static_cast<rlim_t>(std::ceil(L.timeout_s) + 1);
  const rlimit lims[5] = {{cpu, cpu + 1},
                          {L.address_space, L.address_space},
                          {L.file_size, L.file_size},
                          {L.nproc, L.nproc},
                          {0, 0}};
  const int res[5] = {RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_NPROC, RLIMIT_CORE};
  auto argv = c_array(spec.argv);
  auto envp = c_array(spec.env);

  pid_t pid = ::fork();
  if (pid < 0) fail(ErrorKind::io, "sandbox: fork failed: {}", std::strerror(errno));
  if (pid == 0) exec_child(spec, devnull.fd, out_w.fd, err_w.fd, argv.data(), envp.data(), lims, res);
  ::setpgid(pid, pid);  // also done in the child; whichever runs first wins
  out_w.reset();
  err_w.reset();
  ::fcntl(out_r.fd, F_SETFL, O_NONBLOCK);
  ::fcntl(err_r.fd, F_SETFL, O_NONBLOCK);

  collect(pid, out_r.fd, err_r.fd, L, ex);
  // Kill whatever is left: the child (for bwrap: its pid namespace dies with it) and
  // its process group. The child is not reaped yet, so the ids cannot be reused.
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!ex.exited && ex.signal == 0) {
    if (WIFEXITED(status)) {
      ex.exited = true;
      ex.code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
      ex.signal = WTERMSIG(status);
    }
  }
  if (ex.exited && (ex.code == 126 || ex.code == 127) && ex.err.empty()) ex.spawn_failed = true;
  return ex;
}

}  // namespace ys::suites::humaneval::detail
