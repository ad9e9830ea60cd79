// Helpers for the end-to-end tests: run bin/yardstick as a child process, make temporary
// data dirs / models / databases, and read result databases with the SQLite C API
// (independently of the store code under test).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace e2e {

namespace fs = std::filesystem;

struct Result {
  int rc = -1;  // exit status; 128+N when killed by signal N; -1 when it could not start
  std::string out, err;
  std::string all() const { return out + err; }
};

// A fresh directory under $TMPDIR, removed with its content on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// YS_BINARY_DIR/bin/yardstick, or "" when it was not built.
std::string yardstick_bin();
// env YARDSTICK_SHARED_DATA, default <repo>/../shared/datasets; nullopt when absent.
std::optional<fs::path> shared_data();
// env YARDSTICK_MODEL, default <repo>/models/SmolLM2-135M-Instruct.Q4_1.gguf; nullopt when absent.
std::optional<fs::path> real_model();

// Runs yardstick with args in directory cwd; kills it after timeout_s.
Result run(const std::vector<std::string>& args, const fs::path& cwd, int timeout_s = 300);
// Starts yardstick in the background, its output going to log; returns its pid.
pid_t spawn(const std::vector<std::string>& args, const fs::path& cwd, const fs::path& log);
// Waits for a spawned child; returns its exit status (128+N when killed by signal N).
int wait_child(pid_t pid);

// Everything a test needs: a temp dir with data/ imported from the shared datasets and
// (optionally) a synthetic model m.gguf. ok() is false (with a WARN already issued) when
// the binary or the shared data are missing.
struct Fixture {
  explicit Fixture(bool synth_model = true);
  bool ok() const { return ok_; }
  TempDir dir;
  std::string data;   // imported data dir
  std::string model;  // synthetic model (when asked for)
  std::string db(const std::string& name = "r.db") const { return dir / name; }
  // yardstick run --model M --data-dir D --db DB + extra.
  Result run_eval(const std::string& db, const std::vector<std::string>& extra, int timeout_s = 300) const;

 private:
  bool ok_ = false;
};

// ---- result databases (read with the SQLite C API) ----
struct RunRow {
  std::string id, status, suite, settings_json, error;
};
struct SampleRow {
  std::string doc_id, prompt_hash, request, output, target, scores, extra;
  bool operator==(const SampleRow&) const = default;
};
struct MetricRow {
  std::string name;
  double value = 0;
  std::optional<double> std_err;
  int64_t n = 0;
  bool headline = false;
  bool operator==(const MetricRow&) const = default;
};

std::vector<RunRow> runs(const std::string& db);  // in creation order
std::vector<SampleRow> samples(const std::string& db, const std::string& run_id);  // by doc_id
std::vector<MetricRow> metrics(const std::string& db, const std::string& run_id);  // by name
int64_t sample_count(const std::string& db);  // all runs; 0 when the db or table does not exist yet
// The only run of a db (REQUIREs exactly one).
RunRow only_run(const std::string& db);

}  // namespace e2e
