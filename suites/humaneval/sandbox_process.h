// Internal to the sandbox: spawn one child (fork + execve, no shell), feed it nothing,
// collect its capped stdout/stderr with poll, enforce the wall-clock timeout and kill
// whatever is left of its process group. sandbox.cpp decides the argv and the mode.
#pragma once

#include "suites/humaneval/sandbox.h"

#include <sys/types.h>

#include <string>
#include <vector>

namespace ys::suites::humaneval::detail {

struct ChildSpec {
  std::vector<std::string> argv;  // argv[0] is an absolute path
  std::vector<std::string> env;   // the whole environment, "KEY=VALUE"
  SandboxLimits limits;
  int program_fd = -1;            // becomes fd 3 in the child (bwrap --file 3 ...), or -1
  std::string workdir;            // chdir here before exec (empty: stay)
  uid_t drop_uid = 0;             // setgid/setuid to this before exec (0: keep)
};

struct ChildExit {
  bool exited = false;     // normal exit (code valid)
  int code = -1;
  int signal = 0;          // killed by a signal
  bool timed_out = false;  // the harness killed it at the deadline
  bool spawn_failed = false;
  std::string out, err;
  std::string out_tail;    // the last 256 bytes of stdout, even past the cap
  bool out_truncated = false, err_truncated = false;
  double wall_s = 0;
};

// Runs the child to completion (or the deadline). Throws ys::Error(io) only when the
// harness itself cannot create pipes or fork.
ChildExit run_child(const ChildSpec& spec);

// A sealed-for-reading memfd holding `bytes` (close-on-exec), positioned at 0.
int make_program_fd(const std::string& bytes);

}  // namespace ys::suites::humaneval::detail
