// Internal to the sandbox: run one program's process tree to its end, feed it nothing,
// collect its capped stdout/stderr with poll, enforce the wall-clock timeout, and return
// only once every process of the tree is gone. sandbox.cpp decides the argv and the mode.
//
// Process layout: the harness forks a keeper, which makes itself a child subreaper and
// forks the child that execs the program (bwrap, or python3 in unsafe mode). Whatever the
// tree does (fork loops, daemons that setsid, a pid namespace whose init dies), every
// orphan ends up as the keeper's child and the keeper reaps it; the keeper exits only when
// it has no children left, so "the keeper has exited" means "nothing of this program
// runs or holds a process slot any more". The keeper reports the main child's pid and
// wait status through a pipe. At the end (or the deadline) the tree is killed: as root by
// killing every process of the worker's leased uid, otherwise by the main child's process
// group (bwrap's pid namespace dies with it).
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
  int program_fd = -1;  // becomes fd 3 in the child (bwrap --file 3 ...), or -1
  std::string workdir;  // chdir here before exec (empty: stay)
  uid_t drop_uid = 0;   // setgid/setuid to this before exec (0: keep); a leased uid
  // The child is bwrap with its own pid namespace: when it ends, so has every process of
  // the program (nothing needs killing after a normal end).
  bool pid_namespace = false;
  // The program's first stdout bytes when it really started (written by the bootstrap
  // before any program code runs); they are not part of ChildExit::out.
  std::string start_marker;
};

struct ChildExit {
  bool exited = false;  // the main child exited normally (code valid)
  int code = -1;
  int signal = 0;          // the main child was killed by a signal
  bool timed_out = false;  // the harness killed it at the deadline
  bool started = false;    // stdout began with spec.start_marker
  bool tree_gone = true;   // every process of the tree was reaped before run_child returned
  std::string out, err;
  std::string out_tail;  // the last 256 bytes of stdout, even past the cap
  bool out_truncated = false, err_truncated = false;
  double wall_s = 0;
};

// Runs the child to completion (or the deadline) and waits (bounded) until its whole
// process tree is gone. Throws ys::Error(io) when the harness itself cannot create pipes
// or fork (a host limit: the caller treats it as a sandbox failure, not the program's).
ChildExit run_child(const ChildSpec& spec);

// A sealed-for-reading memfd holding `bytes` (close-on-exec), positioned at 0.
int make_program_fd(const std::string& bytes);

}  // namespace ys::suites::humaneval::detail
