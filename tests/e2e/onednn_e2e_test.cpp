// oneDNN end to end: `bench kernels --filter onednn...` runs oneDNN's products with the
// engine's counterparts, prints the side-by-side table and stores every result; `run
// --cpu-gemm onednn` records the backend in the run's settings; bad values are usage errors.
#include "tests/e2e/harness.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <set>

using namespace e2e;

namespace {

// (name, dtype) of every stored kernel result.
std::set<std::pair<std::string, std::string>> kernel_rows(const std::string& db) {
  std::set<std::pair<std::string, std::string>> out;
  sqlite3* d = nullptr;
  REQUIRE(sqlite3_open_v2(db.c_str(), &d, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(d, "SELECT name, dtype FROM kernel_results", -1, &st, nullptr) == SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW)
    out.emplace(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
  sqlite3_finalize(st);
  sqlite3_close(d);
  return out;
}

}  // namespace

TEST_CASE("bench kernels --filter onednn: side-by-side table and stored results", "[e2e][onednn]") {
  if (yardstick_bin().empty()) {
    WARN("skipped: bin/yardstick was not built");
    return;
  }
  TempDir dir;
  const std::string db = dir / "k.db";
  Result r = run({"bench", "kernels", "--filter", "onednn.*/192x576/t16/", "--threads", "2", "--db", db}, dir.path());
  INFO(r.all());
  REQUIRE(r.rc == 0);
  CHECK(r.out.find("oneDNN 2.") != std::string::npos);
  CHECK(r.out.find("| smollm2-135m | 192x576 | 16 |") != std::string::npos);
  CHECK(r.out.find("| ERROR |") == std::string::npos);
  CHECK(r.out.find("0 failed their reference check") != std::string::npos);
  const auto rows = kernel_rows(db);
  for (const char* name : {"onednn/f32/192x576/t16", "onednn/bf16/192x576/t16", "onednn/int8/192x576/t16",
                           "onednn-fixed/bf16/192x576/t16", "matmul/f32/192x576/t16", "matmul/bf16/192x576/t16",
                           "matmul/q8_0/192x576/t16", "matmul/q4_1+f32act/192x576/t16"}) {
    INFO(name);
    bool found = false;
    for (const auto& [n, dtype] : rows) found |= n == name;
    CHECK(found);
  }
  CHECK(rows.count({"onednn/bf16/192x576/t16", "onednn-bf16"}) == 1);
  // Only the selected shape and its partners ran.
  for (const auto& [n, dtype] : rows) CHECK(n.find("192x576/t16") != std::string::npos);
}

TEST_CASE("run --cpu-gemm onednn is recorded; bad values are usage errors", "[e2e][onednn]") {
  Fixture fx;
  if (!fx.ok()) return;
  const std::string db = fx.db();
  Result r = fx.run_eval(db, {"--suite", "mmlu", "--limit", "2", "--cpu-gemm", "onednn"});
  INFO(r.all());
  REQUIRE(r.rc == 0);
  const RunRow run_row = only_run(db);
  CHECK(nlohmann::json::parse(run_row.settings_json)["cpu_gemm"] == "onednn");
  Result bad = fx.run_eval(fx.db("bad.db"), {"--suite", "mmlu", "--limit", "1", "--cpu-gemm", "mkl"});
  CHECK(bad.rc == 2);
  CHECK(bad.err.find("--cpu-gemm") != std::string::npos);
  Result cuda = fx.run_eval(fx.db("cuda.db"), {"--suite", "mmlu", "--limit", "1", "--cpu-gemm", "onednn",
                                               "--device", "cuda"});
  CHECK(cuda.rc == 2);
  CHECK(cuda.err.find("applies to the embedded CPU engine") != std::string::npos);
}
