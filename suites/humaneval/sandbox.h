// The HumanEval sandbox: runs untrusted Python programs (model-written code) and
// reports how each one ended.
//
// Each program runs in its own process tree (sandbox_process.h) of python3 inside
// bubblewrap: read-only binds of the system folders (/usr, /lib*, /bin, /etc and the
// Python installation), a private size-capped tmpfs working directory (/tmp, the cwd),
// every namespace unshared (user, pid, net, ipc, uts, cgroup), --die-with-parent,
// --new-session, its own /proc and a minimal /dev. When the harness runs as root each
// worker leases its own unprivileged uid (sandbox_uids.h) and the program runs as it, so
// RLIMIT_NPROC bounds that worker's processes alone. Limits: RLIMIT_CPU, RLIMIT_AS,
// RLIMIT_FSIZE, RLIMIT_NPROC, RLIMIT_CORE=0; stdin is /dev/null; stdout/stderr go through
// pipes, read with poll and capped; after the wall-clock timeout the whole tree is killed.
// run() returns only when every process of the program is gone (reaped), so the next
// program on that worker starts with its uid free.
//
// The sandbox's own failures are not the program's: a bootstrap writes a random start
// marker to stdout before any program code runs. No marker means the program never ran
// (bwrap could not create its namespaces, a process or memory limit of the host, python
// could not start): the outcome is sandbox_error, never failed. run() retries such a
// start (SandboxOptions::start_attempts, doubling delays); run_all() throws ys::Error if a
// program still cannot start, so no score is ever computed with it.
//
// If bubblewrap cannot create the namespaces (probed once by running an empty program),
// construction throws ys::Error(unsupported) unless unsafe_no_sandbox is set; then
// programs run with fork + rlimits + their own process group + a host temp dir only
// (mode "unsafe-no-sandbox"). That mode does NOT contain hostile code.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ys::suites::humaneval {

// sandbox_error: the program never ran (the sandbox could not start it); it says nothing
// about the program and must never be scored.
enum class Outcome { passed, failed, timed_out, killed, sandbox_error };
const char* to_string(Outcome o);

struct SandboxLimits {
  double timeout_s = 3.0;               // wall clock, whole process tree
  int cpu_s = 0;                        // RLIMIT_CPU; 0 = ceil(timeout_s) + 1
  uint64_t address_space = 4ull << 30;  // RLIMIT_AS, bytes
  uint64_t file_size = 16ull << 20;     // RLIMIT_FSIZE, bytes
  uint64_t nproc = 256;                 // RLIMIT_NPROC
  size_t output_cap = 64 << 10;         // bytes kept of stdout and of stderr
  uint64_t tmp_size = 64ull << 20;      // the sandbox's /tmp (tmpfs), bytes
};

struct SandboxOptions {
  SandboxLimits limits;
  int workers = 0;                 // parallel programs; 0 = hardware cores
  bool unsafe_no_sandbox = false;  // allow running without bubblewrap if it cannot work
  std::string python;              // interpreter; empty = /usr/bin/python3, else PATH
  std::string bwrap;               // bubblewrap; empty = /usr/bin, /usr/local/bin or /bin
  // Extra "KEY=VALUE" environment entries for the program (the base env is minimal).
  std::vector<std::string> env;
  // Tries to start a program whose sandbox could not start (>= 1), waiting
  // retry_delay_s, then twice that, ... between them (6 tries, 0.1 s: 3.1 s of waiting).
  int start_attempts = 6;
  double retry_delay_s = 0.1;
};

struct RunResult {
  Outcome outcome = Outcome::failed;
  // failed: last line of stderr (e.g. "AssertionError"); killed: the signal name
  // (e.g. "SIGXCPU"); timed_out: "timed out"; passed: ""; sandbox_error: why it could not
  // start (e.g. "bwrap: Creating new namespace failed: Resource temporarily unavailable").
  std::string detail;
  int exit_code = -1;    // when it exited
  int signal = 0;        // when a signal ended it
  std::string out, err;  // captured, capped at limits.output_cap each
  bool out_truncated = false, err_truncated = false;
  double wall_s = 0;
  int attempts = 1;  // starts it took (> 1 after sandbox failures)
};

class Sandbox {
 public:
  // Probes bubblewrap; throws ys::Error(unsupported) when it cannot be used and
  // unsafe_no_sandbox is false (or, as root, when too few uids are free), ys::Error(io)
  // when no python3 is found.
  explicit Sandbox(SandboxOptions options);
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;
  // "bwrap" or "unsafe-no-sandbox".
  const std::string& mode() const { return mode_; }
  const SandboxOptions& options() const { return options_; }
  int workers() const { return workers_; }
  // The uids programs run as, one per worker (empty unless the harness runs as root).
  std::vector<uid_t> uids() const;
  // Runs one program (the Python source bytes), retrying a start the sandbox failed.
  // Thread-safe; slot picks the worker (its uid); calls with the same slot take turns.
  RunResult run(const std::string& program, int slot = 0) const;
  // Runs all programs, up to workers() at a time; results in input order. Throws
  // ys::Error(unsupported) naming the program and the reason when one could not be
  // started after every retry (no further programs are started then).
  std::vector<RunResult> run_all(const std::vector<std::string>& programs) const;

 private:
  struct Slot;
  RunResult run_once(const std::string& program, Slot& slot) const;
  SandboxOptions options_;
  std::string mode_;
  std::string python_;
  std::string bwrap_;
  int workers_ = 1;
  bool use_bwrap_ = true;
  std::vector<std::unique_ptr<Slot>> slots_;
};

// The signal's name, e.g. "SIGKILL" ("SIG<n>" for unknown numbers).
std::string signal_name(int sig);
// The last non-empty line of a stderr text, trimmed, at most 300 bytes.
std::string last_error_line(const std::string& err);

}  // namespace ys::suites::humaneval
