#include "tests/e2e/harness.h"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace e2e {
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : fallback;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// fork + exec; the child's stdout/stderr go to the given files. Never returns in the child.
pid_t start(const std::vector<std::string>& args, const fs::path& cwd, const fs::path& out, const fs::path& err) {
  std::vector<std::string> argv_s{yardstick_bin()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int fo = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fe = err == out ? fo : open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int fi = open("/dev/null", O_RDONLY);
    if (fo < 0 || fe < 0 || fi < 0 || chdir(cwd.c_str()) != 0) _exit(126);
    dup2(fi, 0);
    dup2(fo, 1);
    dup2(fe, 2);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

struct Db {
  sqlite3* db = nullptr;
  explicit Db(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      sqlite3_close(db);
      db = nullptr;
    } else {
      sqlite3_busy_timeout(db, 10000);
    }
  }
  ~Db() { sqlite3_close(db); }
};

struct Query {
  sqlite3_stmt* st = nullptr;
  Query(const Db& d, const char* sql, const std::string& bind = "") {
    if (d.db == nullptr || sqlite3_prepare_v2(d.db, sql, -1, &st, nullptr) != SQLITE_OK) {
      st = nullptr;
      return;
    }
    if (!bind.empty()) sqlite3_bind_text(st, 1, bind.c_str(), -1, SQLITE_TRANSIENT);
  }
  ~Query() { sqlite3_finalize(st); }
  bool ok() const { return st != nullptr; }
  bool step() { return st != nullptr && sqlite3_step(st) == SQLITE_ROW; }
  std::string text(int c) {
    const unsigned char* t = sqlite3_column_text(st, c);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  }
  bool null(int c) { return sqlite3_column_type(st, c) == SQLITE_NULL; }
};

}  // namespace

TempDir::TempDir() {
  std::string tmpl = (fs::path(env_or("TMPDIR", "/tmp")) / "ys-e2e-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) FAIL("mkdtemp failed for " << tmpl);
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string yardstick_bin() {
  fs::path p = fs::path(env_or("YS_BINARY_DIR", YS_BINARY_DIR)) / "bin" / "yardstick";
  return fs::exists(p) ? p.string() : std::string();
}

std::optional<fs::path> shared_data() {
  fs::path p = env_or("YARDSTICK_SHARED_DATA", (fs::path(YS_SOURCE_DIR) / ".." / "shared" / "datasets").string());
  if (!fs::is_directory(p / "mmlu") || !fs::is_directory(p / "gsm8k")) return std::nullopt;
  return p;
}

std::optional<fs::path> real_model() {
  fs::path p = env_or("YARDSTICK_MODEL", (fs::path(YS_SOURCE_DIR) / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf").string());
  if (!fs::is_regular_file(p)) return std::nullopt;
  return p;
}

Result run(const std::vector<std::string>& args, const fs::path& cwd, int timeout_s) {
  TempDir logs;
  Result r;
  pid_t pid = start(args, cwd, logs.path() / "out", logs.path() / "err");
  if (pid < 0) return r;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  int status = 0;
  bool timed_out = false;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.rc = decode_status(status);
  r.out = slurp(logs.path() / "out");
  r.err = slurp(logs.path() / "err");
  if (timed_out) r.err += "\n[e2e: killed after " + std::to_string(timeout_s) + " s]";
  return r;
}

pid_t spawn(const std::vector<std::string>& args, const fs::path& cwd, const fs::path& log) {
  return start(args, cwd, log, log);
}

int wait_child(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return decode_status(status);
}

Fixture::Fixture(bool synth_model) {
  if (yardstick_bin().empty()) {
    WARN("bin/yardstick is not built in " << YS_BINARY_DIR << ": skipping");
    return;
  }
  auto shared = shared_data();
  if (!shared) {
    WARN("no shared datasets (set YARDSTICK_SHARED_DATA): skipping");
    return;
  }
  data = dir / "data";
  Result imp = run({"data", "--data-dir", data, "import", shared->string()}, dir.path());
  INFO(imp.all());
  REQUIRE(imp.rc == 0);
  if (synth_model) {
    model = dir / "m.gguf";
    Result s = run({"synth", "--arch", "llama", "--layers", "2", "--dim", "64", "--heads", "4", "--kv-heads", "2",
                    "--ffn", "128", "--vocab", "512", "--type", "q8_0", "--ctx", "4096", "-o", model},
                   dir.path());
    INFO(s.all());
    REQUIRE(s.rc == 0);
  }
  ok_ = true;
}

Result Fixture::run_eval(const std::string& db, const std::vector<std::string>& extra, int timeout_s) const {
  std::vector<std::string> args{"run", "--model", model, "--data-dir", data, "--db", db};
  args.insert(args.end(), extra.begin(), extra.end());
  return run(args, dir.path(), timeout_s);
}

std::vector<RunRow> runs(const std::string& db) {
  Db d(db);
  Query q(d, "SELECT id, status, suite, settings_json, error FROM runs ORDER BY created_at, rowid");
  std::vector<RunRow> out;
  while (q.step()) out.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.text(4)});
  return out;
}

std::vector<SampleRow> samples(const std::string& db, const std::string& run_id) {
  Db d(db);
  Query q(d,
          "SELECT doc_id, prompt_hash, request_json, output_json, target, scores_json, extra_json FROM samples "
          "WHERE run_id = ? ORDER BY doc_id",
          run_id);
  std::vector<SampleRow> out;
  while (q.step()) out.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5), q.text(6)});
  return out;
}

std::vector<MetricRow> metrics(const std::string& db, const std::string& run_id) {
  Db d(db);
  Query q(d, "SELECT name, value, stderr, n, headline FROM metrics WHERE run_id = ? ORDER BY name", run_id);
  std::vector<MetricRow> out;
  while (q.step()) {
    MetricRow m;
    m.name = q.text(0);
    m.value = sqlite3_column_double(q.st, 1);
    if (!q.null(2)) m.std_err = sqlite3_column_double(q.st, 2);
    m.n = sqlite3_column_int64(q.st, 3);
    m.headline = sqlite3_column_int64(q.st, 4) != 0;
    out.push_back(m);
  }
  return out;
}

int64_t sample_count(const std::string& db) {
  if (!fs::exists(db)) return 0;
  Db d(db);
  Query q(d, "SELECT COUNT(*) FROM samples");
  return q.step() ? sqlite3_column_int64(q.st, 0) : 0;
}

RunRow only_run(const std::string& db) {
  std::vector<RunRow> rs = runs(db);
  REQUIRE(rs.size() == 1);
  return rs[0];
}

}  // namespace e2e
