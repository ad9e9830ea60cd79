// End to end with the binary: `yardstick run --model openai:URL#NAME` against `yardstick
// serve` stores the same sample records as a local run (mmlu: loglikelihood, gsm8k:
// generation), answers a repeated run from the store's cache, and a server killed mid-run
// loses nothing: the failed documents are recorded and `--resume` retries exactly those.
#include "tests/e2e/harness.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <chrono>
#include <fstream>
#include <thread>

using namespace e2e;
using nlohmann::json;

namespace {

// A `yardstick serve` child process; stopped (SIGTERM, then SIGKILL) on destruction.
struct ServeProcess {
  pid_t pid = -1;
  int port = 0;
  ServeProcess(const Fixture& fx, const std::string& model, int want_port, const std::string& tag) {
    const std::string pf = fx.dir / ("port-" + tag);
    std::filesystem::remove(pf);
    pid = spawn({"serve", "--model", model, "--port", std::to_string(want_port), "--port-file", pf, "--name", "m",
                 "--threads", "1"},
                fx.dir.path(), fx.dir / ("serve-" + tag + ".log"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!std::filesystem::exists(pf) && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::ifstream in(pf);
    in >> port;
    if (port <= 0) {
      std::ifstream log(fx.dir / ("serve-" + tag + ".log"));
      std::stringstream ss;
      ss << log.rdbuf();
      FAIL("yardstick serve did not start: " << ss.str());
    }
  }
  std::string spec() const { return "openai:http://127.0.0.1:" + std::to_string(port) + "/v1#m"; }
  void kill_now() {
    if (pid > 0) kill(pid, SIGKILL), wait_child(pid), pid = -1;
  }
  ~ServeProcess() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      if (wait_child(pid) < 0) kill(pid, SIGKILL);
    }
  }
};

double perf_value(const std::string& db, const std::string& run_id, const std::string& name) {
  sqlite3* d = nullptr;
  sqlite3_open_v2(db.c_str(), &d, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  double v = -1;
  if (sqlite3_prepare_v2(d, "SELECT value FROM perf_results WHERE run_id = ? AND name = ?", -1, &st, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, run_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, name.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_double(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(d);
  return v;
}

int64_t failure_count(const std::string& db, const std::string& run_id) {
  sqlite3* d = nullptr;
  sqlite3_open_v2(db.c_str(), &d, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* st = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(d, "SELECT COUNT(*) FROM sample_failures WHERE run_id = ?", -1, &st, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, run_id.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(d);
  return n;
}

void check_same_records(const std::string& db_a, const RunRow& a, const std::string& db_b, const RunRow& b) {
  const auto sa = samples(db_a, a.id), sb = samples(db_b, b.id);
  REQUIRE(sa.size() == sb.size());
  REQUIRE(!sa.empty());
  for (size_t i = 0; i < sa.size(); ++i) {
    INFO("doc " << sa[i].doc_id << "\nlocal  " << sa[i].output << "\nremote " << sb[i].output);
    CHECK(sa[i] == sb[i]);  // request, output (logprobs as text: bitwise), target, scores, extra
  }
  CHECK(metrics(db_a, a.id) == metrics(db_b, b.id));
}

// Local vs remote on one model and suite; returns nothing, checks everything.
void compare_local_remote(const Fixture& fx, const std::string& model, const std::vector<std::string>& suite_args,
                          int timeout_s) {
  const std::string db_local = fx.db("local.db"), db_remote = fx.db("remote.db");
  std::vector<std::string> local_args{"run", "--model", model, "--data-dir", fx.data, "--db", db_local};
  local_args.insert(local_args.end(), suite_args.begin(), suite_args.end());
  Result lr = run(local_args, fx.dir.path(), timeout_s);
  INFO(lr.all());
  REQUIRE(lr.rc == 0);
  ServeProcess serve(fx, model, 0, "a");
  std::vector<std::string> remote_args{"run", "--model", serve.spec(), "--data-dir", fx.data, "--db", db_remote,
                                       "--price-in", "0.5", "--price-out", "1.5"};
  remote_args.insert(remote_args.end(), suite_args.begin(), suite_args.end());
  Result rr = run(remote_args, fx.dir.path(), timeout_s);
  INFO(rr.all());
  REQUIRE(rr.rc == 0);
  const auto locals = runs(db_local), remotes = runs(db_remote);
  REQUIRE(locals.size() == remotes.size());
  for (size_t i = 0; i < locals.size(); ++i) {
    INFO("suite " << locals[i].suite);
    CHECK(remotes[i].status == "done");
    check_same_records(db_local, locals[i], db_remote, remotes[i]);
    CHECK(perf_value(db_remote, remotes[i].id, "remote_requests") > 0);
    CHECK(perf_value(db_remote, remotes[i].id, "remote_prompt_tokens") > 0);
    CHECK(perf_value(db_remote, remotes[i].id, "cost_usd") > 0);
    CHECK(perf_value(db_remote, remotes[i].id, "cost_usd_per_1000_questions") > 0);
  }
  // The same run again into the same store: every answer comes from the cache.
  Result again = run(remote_args, fx.dir.path(), timeout_s);
  INFO(again.all());
  REQUIRE(again.rc == 0);
  const auto all = runs(db_remote);
  REQUIRE(all.size() == 2 * locals.size());
  for (size_t i = 0; i < locals.size(); ++i) {
    const RunRow& r2 = all[locals.size() + i];
    check_same_records(db_local, locals[i], db_remote, r2);
    CHECK(perf_value(db_remote, r2.id, "remote_cached_requests") == perf_value(db_remote, r2.id, "remote_requests"));
    CHECK(perf_value(db_remote, r2.id, "spent_usd") == 0);
  }
  // show prints the remote hardware and the cost rows.
  Result show = run({"show", remotes[0].id, "--db", db_remote}, fx.dir.path());
  CHECK(show.out.find("remote: 127.0.0.1") != std::string::npos);
  CHECK(show.out.find("cost_usd_per_1000_questions") != std::string::npos);
}

}  // namespace

TEST_CASE("synthetic model: remote runs through yardstick serve store the local run's records", "[remote][e2e]") {
  Fixture fx;
  if (!fx.ok()) return;
  compare_local_remote(fx, fx.model, {"--suite", "mmlu,gsm8k", "--limit", "6"}, 300);
}

TEST_CASE("real model: remote mmlu and gsm8k through yardstick serve equal the local run", "[remote][e2e][real]") {
  const auto model = real_model();
  if (!model) {
    WARN("no real model (set YARDSTICK_MODEL): skipping");
    return;
  }
  Fixture fx(false);
  if (!fx.ok()) return;
  compare_local_remote(fx, model->string(), {"--suite", "mmlu,gsm8k", "--limit", "3"}, 900);
}

TEST_CASE("a server killed mid-run loses nothing: --resume retries the failed documents", "[remote][e2e]") {
  Fixture fx;
  if (!fx.ok()) return;
  const std::vector<std::string> suite{"--suite", "mmlu", "--limit", "60", "--batch-size", "1"};
  const std::string db_local = fx.db("local.db"), db = fx.db("remote.db");
  std::vector<std::string> local_args{"run", "--model", fx.model, "--data-dir", fx.data, "--db", db_local};
  local_args.insert(local_args.end(), suite.begin(), suite.end());
  Result lr = run(local_args, fx.dir.path());
  INFO(lr.all());
  REQUIRE(lr.rc == 0);
  int port = 0;
  RunRow rec;
  {
    ServeProcess serve(fx, fx.model, 0, "first");
    port = serve.port;
    std::vector<std::string> args{"run", "--model", serve.spec(), "--data-dir", fx.data, "--db", db,
                                  "--concurrency", "1", "--retries", "2"};
    args.insert(args.end(), suite.begin(), suite.end());
    const pid_t client = spawn(args, fx.dir.path(), fx.dir / "client.log");
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (sample_count(db) < 5 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    serve.kill_now();
    const int rc = wait_child(client);
    std::ifstream log(fx.dir / "client.log");
    std::stringstream ss;
    ss << log.rdbuf();
    INFO("client: " << ss.str());
    CHECK(rc == 1);
    CHECK(ss.str().find("--resume") != std::string::npos);
    rec = only_run(db);
    CHECK(rec.status == "failed");
    const int64_t stored = int64_t(samples(db, rec.id).size());
    INFO("stored " << stored << " samples before the kill; failures recorded " << failure_count(db, rec.id));
    CHECK(stored >= 5);
    CHECK(stored < 60);
    CHECK(failure_count(db, rec.id) == 60 - stored);  // every other document is marked failed, none scored
  }
  ServeProcess again(fx, fx.model, port, "second");  // the run's stored URL names this port
  Result resumed = run({"run", "--resume", rec.id, "--data-dir", fx.data, "--db", db}, fx.dir.path());
  INFO(resumed.all());
  REQUIRE(resumed.rc == 0);
  const RunRow done = only_run(db);
  CHECK(done.status == "done");
  CHECK(failure_count(db, rec.id) == 0);
  check_same_records(db_local, only_run(db_local), db, done);
}
