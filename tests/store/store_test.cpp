// Store: migrations, round trips of every record kind, run-id prefixes, error messages.
#include "common/error.h"
#include "common/hash.h"
#include "runner/store/schema.h"
#include "runner/store/store.h"
#include "tests/store/store_helpers.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>

using namespace ys::store;

namespace {

RunRecord sample_run(const std::string& suite, const std::string& model) {
  RunRecord r;
  r.kind = "eval";
  r.suite = suite;
  r.model_path = model;
  r.model_sha256 = std::string(64, 'a');
  r.quant = "q4_1";
  r.settings_json = R"({"batch":8})";
  r.dataset_json = R"({"gsm8k/test.jsonl":"3730d3"})";
  r.protocol_json = R"({"fewshot":5})";
  r.protocol_version = "gsm8k-v1";
  r.code_version = "abc123";
  r.seed = 1234;
  r.tag = "nightly";
  return r;
}

}  // namespace

TEST_CASE("migrations create the schema on a fresh db and reopen idempotently") {
  ys_test::TempDir dir("store-mig");
  auto path = dir.path / "r.db";
  {
    Store st = Store::open(path);
    CHECK(st.schema_version() == static_cast<int>(migrations().size()));
    CHECK(st.integrity_check() == "ok");
  }
  {
    Store st = Store::open(path);  // second open: no migration re-applied, no error
    CHECK(st.schema_version() == static_cast<int>(migrations().size()));
    Db db = Db::open(path.string(), 1000);
    Stmt s = db.prepare("SELECT COUNT(*) FROM schema_version", "counting versions");
    REQUIRE(s.step());
    CHECK(s.i64(0) == static_cast<int64_t>(migrations().size()));
    Stmt j = db.prepare("PRAGMA journal_mode", "reading journal mode");
    REQUIRE(j.step());
    CHECK(j.text(0) == "wal");
    Stmt t = db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name", "listing tables");
    std::vector<std::string> tables;
    while (t.step()) tables.push_back(t.text(0));
    for (const char* want : {"hardware", "kernel_results", "metrics", "perf_results", "runs", "samples"})
      CHECK(std::find(tables.begin(), tables.end(), want) != tables.end());
  }
}

TEST_CASE("a database from a newer yardstick is refused") {
  ys_test::TempDir dir("store-newer");
  auto path = dir.path / "r.db";
  { Store::open(path); }
  {
    Db db = Db::open(path.string(), 1000);
    db.exec("INSERT INTO schema_version(version) VALUES (999)", "faking a newer schema");
  }
  CHECK_THROWS_WITH(Store::open(path), Catch::Contains("schema version 999"));
}

TEST_CASE("runs round-trip and finish and list with filters and resolve prefixes") {
  ys_test::TempDir dir("store-runs");
  Store st = Store::open(dir.path / "r.db");
  std::string a = st.create_run(sample_run("gsm8k", "models/smol.gguf"));
  std::string b = st.create_run(sample_run("mmlu", "models/other.gguf"));
  CHECK(std::regex_match(a, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
  CHECK(a != b);

  auto r = st.get_run(a);
  REQUIRE(r);
  CHECK(r->status == "running");
  CHECK(r->suite == "gsm8k");
  CHECK(r->settings_json == R"({"batch":8})");
  CHECK(r->seed == 1234);
  CHECK(r->finished_at.empty());
  CHECK_FALSE(r->wall_s.has_value());
  CHECK(r->created_at.size() == 24);  // 2026-01-01T00:00:00.000Z

  st.finish_run(a, "done", 12.5, int64_t{4000}, "");
  r = st.get_run(a);
  CHECK(r->status == "done");
  CHECK(r->wall_s == Approx(12.5));
  CHECK(r->tokens == 4000);
  CHECK_FALSE(r->finished_at.empty());
  st.finish_run(b, "failed", std::nullopt, std::nullopt, "model file truncated");
  CHECK(st.get_run(b)->error == "model file truncated");
  CHECK_THROWS_AS(st.finish_run(a, "bogus", 1.0, int64_t{1}, ""), ys::Error);
  CHECK_THROWS_WITH(st.finish_run("nope", "done", 1.0, int64_t{1}, ""), Catch::Contains("no run with id 'nope'"));
  CHECK_FALSE(st.get_run("nope"));

  CHECK(st.list_runs().size() == 2);
  RunFilter f;
  f.suite = "mmlu";
  REQUIRE(st.list_runs(f).size() == 1);
  CHECK(st.list_runs(f)[0].id == b);
  f = {};
  f.model = "smol";
  REQUIRE(st.list_runs(f).size() == 1);
  CHECK(st.list_runs(f)[0].id == a);
  f = {};
  f.status = "failed";
  CHECK(st.list_runs(f).size() == 1);
  f = {};
  f.limit = 1;
  CHECK(st.list_runs(f).size() == 1);

  CHECK(st.resolve_run_id(a.substr(0, 10)) == a);
  CHECK(st.resolve_run_id(a) == a);
  CHECK_THROWS_WITH(st.resolve_run_id("zzzz"), Catch::Contains("no run id starts with 'zzzz'"));
  RunRecord c = sample_run("x", "m");
  c.id = "abc-1";
  RunRecord d = c;
  d.id = "abc-2";
  st.create_run(c);
  st.create_run(d);
  CHECK_THROWS_WITH(st.resolve_run_id("abc"), Catch::Contains("ambiguous"));
  CHECK(st.resolve_run_id("abc-2") == "abc-2");
  CHECK_THROWS_WITH(st.create_run(c), Catch::Contains("recording a new run"));  // duplicate id
}

TEST_CASE("samples append in batches and replace by doc id and report finished ids") {
  ys_test::TempDir dir("store-samples");
  Store st = Store::open(dir.path / "r.db");
  std::string id = st.create_run(sample_run("mmlu", "m.gguf"));
  st.append_samples(id, ys_test::make_batch(0, 3));
  st.append_samples(id, ys_test::make_batch(1, 2));
  st.append_samples(id, {});
  auto done = st.finished_doc_ids(id);
  CHECK(done.size() == 5);
  CHECK(done.count("b000001-0001") == 1);

  auto batch = ys_test::make_batch(0, 1);
  batch[0].output_json = R"({"text":"redone"})";
  st.append_samples(id, batch);
  auto samples = st.get_samples(id);
  REQUIRE(samples.size() == 5);
  CHECK(samples[0].doc_id == "b000000-0000");
  CHECK(samples[0].output_json == R"({"text":"redone"})");
  auto ref = ys_test::make_batch(0, 3)[2];
  CHECK(samples[2].request_json == ref.request_json);
  CHECK(samples[2].target == ref.target);
  CHECK(samples[2].scores_json == ref.scores_json);
  CHECK_FALSE(samples[2].created_at.empty());

  // A sample for a run that does not exist violates the foreign key; nothing is stored.
  CHECK_THROWS_WITH(st.append_samples("no-such-run", ys_test::make_batch(5, 2)), Catch::Contains("FOREIGN KEY"));
  CHECK(st.get_samples("no-such-run").empty());
}

TEST_CASE("a failing row rolls back the whole batch") {
  ys_test::TempDir dir("store-rollback");
  Store st = Store::open(dir.path / "r.db");
  std::string id = st.create_run(sample_run("mmlu", "m.gguf"));
  auto batch = ys_test::make_batch(0, 4);
  CHECK_THROWS(st.append_samples(id + "-missing", batch));
  CHECK(st.finished_doc_ids(id).empty());
  st.append_samples(id, batch);
  CHECK(st.finished_doc_ids(id).size() == 4);
}

TEST_CASE("metrics upsert with headline first") {
  ys_test::TempDir dir("store-metrics");
  Store st = Store::open(dir.path / "r.db");
  std::string id = st.create_run(sample_run("mmlu", "m.gguf"));
  st.set_metrics(id, {{"acc_humanities", 0.25, 0.01, 100, false}, {"acc", 0.3, 0.004, 14042, true}});
  st.set_metrics(id, {{"acc_humanities", 0.5, std::nullopt, 200, false}});
  auto m = st.get_metrics(id);
  REQUIRE(m.size() == 2);
  CHECK(m[0].name == "acc");
  CHECK(m[0].headline);
  CHECK(m[0].value == Approx(0.3));
  CHECK(m[0].std_err.value() == Approx(0.004));
  CHECK(m[0].n == 14042);
  CHECK(m[1].value == Approx(0.5));
  CHECK_FALSE(m[1].std_err.has_value());
  CHECK(m[1].n == 200);
}

TEST_CASE("hardware is stored once per fingerprint and perf and kernel results round-trip") {
  ys_test::TempDir dir("store-hw");
  Store st = Store::open(dir.path / "r.db");
  HardwareRecord hw;
  hw.fingerprint_json = R"({"cpu":"Test CPU","cores":8})";
  hw.cpu_model = "Test CPU";
  hw.cores = 8;
  hw.memory_bytes = int64_t{16} << 30;
  std::string h1 = st.upsert_hardware(hw);
  CHECK(h1 == ys::sha256_hex(hw.fingerprint_json));
  CHECK(st.upsert_hardware(hw) == h1);
  auto got = st.get_hardware(h1);
  REQUIRE(got);
  CHECK(got->cores == 8);
  CHECK(got->memory_bytes == (int64_t{16} << 30));

  RunRecord run = sample_run("perf", "m.gguf");
  run.kind = "bench";
  run.hardware_id = h1;
  std::string id = st.create_run(run);
  CHECK(st.get_run(id)->hardware_id == h1);
  run.hardware_id = "unknown-hw";
  CHECK_THROWS_WITH(st.create_run(run), Catch::Contains("FOREIGN KEY"));

  PerfRecord p;
  p.run_id = id;
  p.name = "decode_tok_s";
  p.value = 123.5;
  p.unit = "tok/s";
  p.repetitions = 5;
  p.median = 124.0;
  p.stddev = 2.5;
  int64_t pid = st.add_perf_result(p);
  CHECK(pid > 0);
  auto perf = st.get_perf_results(id);
  REQUIRE(perf.size() == 1);
  CHECK(perf[0].id == pid);
  CHECK(perf[0].median.value() == Approx(124.0));
  CHECK(perf[0].unit == "tok/s");

  KernelRecord k;
  k.hardware_id = h1;
  k.name = "gemv_q4_1";
  k.shape_json = R"({"m":4096,"k":4096})";
  k.dtype = "q4_1";
  k.isa = "avx2";
  k.ns_per_iter = 1500.0;
  k.bytes_per_s = 1.2e10;
  st.add_kernel_result(k);
  k.run_id = id;
  st.add_kernel_result(k);
  CHECK(st.get_kernel_results("", h1).size() == 2);
  auto kr = st.get_kernel_results(id);
  REQUIRE(kr.size() == 1);
  CHECK(kr[0].bytes_per_s.value() == Approx(1.2e10));
  CHECK_FALSE(kr[0].flops_per_s.has_value());
  KernelRecord orphan;
  orphan.name = "x";
  CHECK_THROWS_AS(st.add_kernel_result(orphan), ys::Error);
}

TEST_CASE("opening an unwritable path names the file") {
  CHECK_THROWS_WITH(Store::open("/nonexistent-dir-ys/x/r.db"), Catch::Contains("/nonexistent-dir-ys/x/r.db"));
}
