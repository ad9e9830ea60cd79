// `yardstick humaneval score` end to end, on the fixtures in tests/fixtures/humaneval.
// Needs the yardstick binary (built by the default target) and the HumanEval data;
// WARN + skip without either.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

fs::path shared_data() {
  const char* env = std::getenv("YARDSTICK_SHARED_DATA");
  return env ? fs::path(env) : fs::path(YS_SOURCE_DIR) / ".." / "shared" / "datasets";
}

struct Ran {
  int rc = -1;
  std::string out;
};

// Runs the binary with fixed, test-controlled arguments (paths are quoted).
Ran run_cli(const std::string& args) {
  std::string cmd = "'" + (fs::path(YS_BINARY_DIR) / "bin" / "yardstick").string() + "' humaneval score --data-dir '" +
                    shared_data().string() + "' " + args + " 2>&1";
  Ran r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool ready() {
  if (!fs::exists(fs::path(YS_BINARY_DIR) / "bin" / "yardstick")) {
    WARN("yardstick binary not built; skipping the CLI test");
    return false;
  }
  if (!fs::exists(shared_data() / "humaneval" / "HumanEval.jsonl.gz")) {
    WARN("HumanEval data not found under " << shared_data().string() << "; skipping");
    return false;
  }
  return true;
}

const fs::path kFixtures = fs::path(YS_SOURCE_DIR) / "tests" / "fixtures" / "humaneval";

}  // namespace

TEST_CASE("humaneval cli: scores a samples file") {
  if (!ready()) return;
  fs::path out = fs::path(YS_BINARY_DIR) / "humaneval_cli_results.jsonl";
  auto r = run_cli("--samples '" + (kFixtures / "samples_mixed.jsonl").string() + "' --timeout 1 --json -o '" +
                   out.string() + "'");
  INFO(r.out);
  REQUIRE(r.rc == 0);
  const size_t from = r.out.find("\n{") + 1;  // stderr's note comes first (2>&1)
  auto j = nlohmann::json::parse(r.out.substr(from, r.out.rfind('}') + 1 - from));
  CHECK(j["sandbox"] == "bwrap");
  CHECK(j["problems"] == 4);
  CHECK(j["samples"] == 8);
  CHECK(j["pass@1"]["value"].get<double>() == Approx(0.5));
  CHECK(j["per_problem"]["HumanEval/3"]["passed"] == 1);
  std::ifstream f(out);
  std::string line;
  std::vector<nlohmann::json> rows;
  while (std::getline(f, line)) rows.push_back(nlohmann::json::parse(line));
  REQUIRE(rows.size() == 8);
  CHECK(rows[0]["result"] == "passed");
  CHECK(rows[1]["result"] == "failed: AssertionError");
  CHECK(rows[6]["result"] == "timed out");
  fs::remove(out);
}

TEST_CASE("humaneval cli: bad sample files are errors naming the line") {
  if (!ready()) return;
  auto bad = run_cli("--samples '" + (kFixtures / "samples_bad_line.jsonl").string() + "'");
  CHECK(bad.rc == 1);
  CHECK(bad.out.find("samples_bad_line.jsonl:2:") != std::string::npos);
  auto unknown = run_cli("--samples '" + (kFixtures / "samples_unknown_task.jsonl").string() + "'");
  CHECK(unknown.rc == 1);
  CHECK(unknown.out.find(":1: unknown task_id \"HumanEval/999\"") != std::string::npos);
  auto missing = run_cli("--samples /nonexistent/x.jsonl");
  CHECK(missing.rc == 1);
  CHECK(missing.out.find("/nonexistent/x.jsonl") != std::string::npos);
  auto usage = run_cli("--samples x.jsonl --timeout -1");
  CHECK(usage.rc == 2);
}

TEST_CASE("humaneval cli: runaway completions change no other sample's result") {
  if (!ready()) return;
  // samples_runaway.jsonl: six runaway completions first (fork loop, memory hog, endless
  // loop, huge output, a fork bomb holding its processes, daemons), then three correct
  // ones for each of the four problems. Default workers (one per core).
  fs::path out = fs::path(YS_BINARY_DIR) / "humaneval_cli_runaway.jsonl";
  auto r = run_cli("--samples '" + (kFixtures / "samples_runaway.jsonl").string() + "' --timeout 1 --json -o '" +
                   out.string() + "'");
  INFO(r.out);
  REQUIRE(r.rc == 0);
  const size_t from = r.out.find("\n{") + 1;
  auto j = nlohmann::json::parse(r.out.substr(from, r.out.rfind('}') + 1 - from));
  CHECK(j["samples"] == 18);
  // 3 of 5, 3 of 5, 3 of 4, 3 of 4: (0.6 + 0.6 + 0.75 + 0.75) / 4
  CHECK(j["pass@1"]["value"].get<double>() == Approx(0.675));
  for (const char* t : {"HumanEval/2", "HumanEval/7", "HumanEval/13", "HumanEval/23"})
    CHECK(j["per_problem"][t]["passed"] == 3);
  std::ifstream f(out);
  std::vector<nlohmann::json> rows;
  for (std::string line; std::getline(f, line);) rows.push_back(nlohmann::json::parse(line));
  REQUIRE(rows.size() == 18);
  for (size_t i = 0; i < rows.size(); ++i) {
    INFO("row " << i << ": " << rows[i].dump());
    const std::string result = rows[i]["result"];
    CHECK(rows[i]["passed"] == (i >= 6));
    CHECK(result.rfind("sandbox error", 0) == std::string::npos);
  }
  CHECK(rows[2]["result"] == "timed out");  // endless loop
  CHECK(rows[3]["result"] == "timed out");  // huge output
  CHECK(rows[1]["result"] == "failed: MemoryError");
  fs::remove(out);
}
