// Internal to the sandbox: the unprivileged uids programs run as when the harness is root.
//
// Each sandbox worker leases one uid for the sandbox's lifetime, so RLIMIT_NPROC (counted
// per uid by the kernel) is one worker's alone and "kill every process of this uid" can
// only hit that worker's programs. A lease is an abstract unix socket bound to the name
// "yardstick-sandbox-uid-<uid>": binding it is exclusive across every process on the
// host (two `yardstick` runs, or ctest running test cases in parallel, never share a uid),
// and the kernel drops it when the process ends, so nothing is left behind. Uids come from
// 60000..61183 (below systemd's dynamic users, 61184..65519); a uid that /etc/passwd names
// or that any process uses is skipped, so a lease never covers somebody else's processes.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace ys::suites::humaneval::detail {

inline constexpr uid_t kFirstSandboxUid = 60000;
inline constexpr uid_t kLastSandboxUid = 61183;

class UidLease {
 public:
  UidLease() = default;
  UidLease(uid_t uid, int fd) : uid_(uid), fd_(fd) {}
  UidLease(UidLease&& o) noexcept;
  UidLease& operator=(UidLease&& o) noexcept;
  UidLease(const UidLease&) = delete;
  UidLease& operator=(const UidLease&) = delete;
  ~UidLease();
  uid_t uid() const { return uid_; }

 private:
  uid_t uid_ = 0;
  int fd_ = -1;
};

// Leases `count` uids; throws ys::Error(unsupported) naming the range when too few are free.
std::vector<UidLease> lease_uids(int count);

// Real uids of the processes on the host, one entry per process (from /proc/<pid>/status;
// processes that vanish while being read are skipped).
std::vector<uid_t> process_uids();
// How many processes (zombies included) run with real uid `uid`.
int count_processes_of(uid_t uid);

// Sends SIGKILL to every process whose uid is `uid` (a forked helper switches to that uid
// and calls kill(-1, SIGKILL)). Only for leased uids. Returns false if the helper failed.
bool kill_all_of(uid_t uid);

}  // namespace ys::suites::humaneval::detail
