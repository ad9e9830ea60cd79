#include "suites/humaneval/sandbox_uids.h"

#include "common/error.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <string_view>

namespace ys::suites::humaneval::detail {
namespace {

// Binds the abstract socket naming `uid`; -1 when another process holds it.
int try_bind(uid_t uid) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail(ErrorKind::io, "sandbox: socket() for the uid lease failed: {}", std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string name = fmt::format("yardstick-sandbox-uid-{}", uid);
  std::memcpy(addr.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: abstract
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0) return fd;
  int err = errno;
  ::close(fd);
  if (err != EADDRINUSE) fail(ErrorKind::io, "sandbox: cannot bind the uid lease {}: {}", name, std::strerror(err));
  return -1;
}

bool in_passwd(uid_t uid) {
  passwd pw{}, *found = nullptr;
  char buf[4096];
  return ::getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found != nullptr;
}

// The real uid from a /proc/<pid>/status text ("Uid:\t<real>\t<effective>..."), or -1.
long real_uid_of(const char* status, size_t n) {
  std::string_view s(status, n);
  auto p = s.find("\nUid:");
  if (p == std::string_view::npos) return -1;
  p += 5;
  while (p < s.size() && (s[p] == ' ' || s[p] == '\t')) ++p;
  long v = 0;
  bool any = false;
  while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
    v = v * 10 + (s[p++] - '0');
    any = true;
  }
  return any ? v : -1;
}

}  // namespace

UidLease::UidLease(UidLease&& o) noexcept : uid_(o.uid_), fd_(o.fd_) { o.fd_ = -1; }

UidLease& UidLease::operator=(UidLease&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    uid_ = o.uid_;
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

UidLease::~UidLease() {
  if (fd_ >= 0) ::close(fd_);
}

std::vector<uid_t> process_uids() {
  std::vector<uid_t> uids;
  DIR* d = ::opendir("/proc");
  if (!d) fail(ErrorKind::io, "sandbox: cannot list /proc: {}", std::strerror(errno));
  char buf[2048];
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    int fd = ::openat(::dirfd(d), (std::string(e->d_name) + "/status").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;  // ended meanwhile
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n <= 0) continue;
    long uid = real_uid_of(buf, static_cast<size_t>(n));
    if (uid >= 0) uids.push_back(static_cast<uid_t>(uid));
  }
  ::closedir(d);
  return uids;
}

int count_processes_of(uid_t uid) {
  auto all = process_uids();
  return static_cast<int>(std::count(all.begin(), all.end(), uid));
}

std::vector<UidLease> lease_uids(int count) {
  std::vector<UidLease> leases;
  if (count <= 0) return leases;
  const auto used_list = process_uids();
  const std::set<uid_t> used(used_list.begin(), used_list.end());
  for (uid_t u = kFirstSandboxUid; u <= kLastSandboxUid && static_cast<int>(leases.size()) < count; ++u) {
    if (used.count(u) || in_passwd(u)) continue;
    int fd = try_bind(u);
    if (fd < 0) continue;
    // Taken by nobody else now; a process that started using the uid meanwhile is not ours.
    if (count_processes_of(u) != 0) {
      ::close(fd);
      continue;
    }
    leases.emplace_back(u, fd);
  }
  if (static_cast<int>(leases.size()) < count)
    fail(ErrorKind::unsupported,
         "sandbox: needed {} free uids for the workers in {}..{}, found {} (each worker runs its programs as its "
         "own uid; other yardstick runs or processes hold the rest); use fewer --workers",
         count, kFirstSandboxUid, kLastSandboxUid, leases.size());
  return leases;
}

bool kill_all_of(uid_t uid) {
  if (uid == 0) return false;
  pid_t h = ::fork();
  if (h < 0) return false;
  if (h == 0) {
    // Raw syscalls: this is a forked copy of a multithreaded process.
    if (::syscall(SYS_setresgid, uid, uid, uid) != 0 || ::syscall(SYS_setresuid, uid, uid, uid) != 0) ::_exit(1);
    ::kill(-1, SIGKILL);  // every process this uid may signal: exactly those running as it
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(h, &status, 0) < 0 && errno == EINTR) {}
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace ys::suites::humaneval::detail
