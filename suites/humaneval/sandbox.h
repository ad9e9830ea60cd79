// The HumanEval sandbox: runs untrusted Python programs (model-written code) and
// reports how each one ended.
//
// Each program runs in its own child process (fork + execve, no shell) of python3 inside
// bubblewrap: read-only binds of the system folders (/usr, /lib*, /bin, /etc and the
// Python installation), a private tmpfs working directory (/tmp, the cwd), every
// namespace unshared (user, pid, net, ipc, uts, cgroup), --die-with-parent,
// --new-session, its own /proc and a minimal /dev. When the harness runs as root the
// child first drops to an unprivileged uid (60000 + worker slot) so RLIMIT_NPROC is
// enforced. Limits: RLIMIT_CPU, RLIMIT_AS, RLIMIT_FSIZE, RLIMIT_NPROC, RLIMIT_CORE=0;
// stdin is /dev/null; stdout/stderr go through pipes, read with poll and capped; after
// the wall-clock timeout the sandbox (its pid namespace) and the child's process group
// are killed with SIGKILL.
//
// If bubblewrap cannot create the namespaces (probed once by running an empty program),
// construction throws ys::Error(unsupported) unless unsafe_no_sandbox is set; then
// programs run with fork + rlimits + their own process group + a host temp dir only
// (mode "unsafe-no-sandbox"). That mode does NOT contain hostile code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ys::suites::humaneval {

enum class Outcome { passed, failed, timed_out, killed };
const char* to_string(Outcome o);

struct SandboxLimits {
  double timeout_s = 3.0;                      // wall clock, whole process tree
  int cpu_s = 0;                               // RLIMIT_CPU; 0 = ceil(timeout_s) + 1
  uint64_t address_space = 4ull << 30;         // RLIMIT_AS, bytes
  uint64_t file_size = 16ull << 20;            // RLIMIT_FSIZE, bytes
  uint64_t nproc = 256;                        // RLIMIT_NPROC
  size_t output_cap = 64 << 10;                // bytes kept of stdout and of stderr
};

struct SandboxOptions {
  SandboxLimits limits;
  int workers = 0;                 // parallel programs; 0 = hardware cores
  bool unsafe_no_sandbox = false;  // allow running without bubblewrap if it cannot work
  std::string python;              // interpreter; empty = /usr/bin/python3, else PATH
  // Extra "KEY=VALUE" environment entries for the program (the base env is minimal).
  std::vector<std::string> env;
};

struct RunResult {
  Outcome outcome = Outcome::failed;
  // failed: last line of stderr (e.g. "AssertionError"); killed: the signal name
  // (e.g. "SIGXCPU"); timed_out: "timed out"; passed: "".
  std::string detail;
  int exit_code = -1;   // when it exited
  int signal = 0;       // when a signal ended it
  std::string out, err; // captured, capped at limits.output_cap each
  bool out_truncated = false, err_truncated = false;
  double wall_s = 0;
};

class Sandbox {
 public:
  // Probes bubblewrap; throws ys::Error(unsupported) when it cannot be used and
  // unsafe_no_sandbox is false, ys::Error(io) when no python3 is found.
  explicit Sandbox(SandboxOptions options);
  // "bwrap" or "unsafe-no-sandbox".
  const std::string& mode() const { return mode_; }
  const SandboxOptions& options() const { return options_; }
  int workers() const { return workers_; }
  // Runs one program (the Python source bytes). Thread-safe; slot picks the uid.
  RunResult run(const std::string& program, int slot = 0) const;
  // Runs all programs, up to workers() at a time; results in input order.
  std::vector<RunResult> run_all(const std::vector<std::string>& programs) const;

 private:
  SandboxOptions options_;
  std::string mode_;
  std::string python_;
  int workers_ = 1;
  bool use_bwrap_ = true;
};

// The signal's name, e.g. "SIGKILL" ("SIG<n>" for unknown numbers).
std::string signal_name(int sig);
// The last non-empty line of a stderr text, trimmed, at most 300 bytes.
std::string last_error_line(const std::string& err);

}  // namespace ys::suites::humaneval
