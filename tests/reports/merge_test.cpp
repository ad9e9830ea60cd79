#include "reports/merge.h"
#include "runner/store/sqlite.h"
#include "tests/reports/report_helpers.h"

#include <catch2/catch.hpp>

#include <map>

using namespace ys::reports;
using namespace ys::test;

namespace {

// Every row of every table (except autoincrement ids), as text, for equality checks.
std::multiset<std::string> all_rows(const std::string& db_path) {
  ys::store::Db db = ys::store::Db::open(db_path, 1000);
  std::multiset<std::string> rows;
  for (const char* q : {"SELECT id||status||suite||COALESCE(wall_s,'')||settings_json FROM runs",
                        "SELECT run_id||doc_id||scores_json||output_json FROM samples",
                        "SELECT run_id||name||value||COALESCE(stderr,'') FROM metrics",
                        "SELECT run_id||name||value FROM perf_results", "SELECT name||ns_per_iter FROM kernel_results",
                        "SELECT id FROM hardware"}) {
    ys::store::Stmt s = db.prepare(q, "test dump");
    while (s.step()) rows.insert(std::string(q).substr(7, 10) + s.text(0));
  }
  return rows;
}

}  // namespace

TEST_CASE("merge: union of stores, idempotent, done wins, conflicts roll back", "[reports][merge]") {
  TempDir dir;
  const std::string a = (dir.path / "a.db").string(), b = (dir.path / "b.db").string(), out = (dir.path / "all.db").string();
  std::string shared_id;
  {
    auto sa = ys::store::Store::open(a);
    FakeRun r;
    r.acc = scores(10, 4);
    shared_id = add_run(sa, r);
    ys::store::HardwareRecord hw;
    hw.fingerprint_json = R"({"cpu":"test"})";
    hw.cpu_model = "Test CPU";
    std::string hid = sa.upsert_hardware(hw);
    ys::store::KernelRecord k;
    k.hardware_id = hid;
    k.name = "rmsnorm";
    k.ns_per_iter = 10;
    sa.add_kernel_result(k);
    ys::store::PerfRecord p;
    p.run_id = shared_id;
    p.name = "ttft_ms";
    p.value = 3;
    sa.add_perf_result(p);
  }
  {
    // b holds the same run unfinished with part of the samples (copied row for row), plus another run.
    auto sa = ys::store::Store::open(a);
    auto sb = ys::store::Store::open(b);
    ys::store::RunRecord r = *sa.get_run(shared_id);
    r.status = "running";
    sb.create_run(r);
    auto samples = sa.get_samples(shared_id);
    samples.resize(6);
    sb.append_samples(shared_id, samples);
    FakeRun other;
    other.suite = "gsm8k";
    other.acc = scores(5, 1);
    add_run(sb, other);
  }
  MergeCounts c1 = merge_store(out, b);
  CHECK(c1.runs == 2);
  MergeCounts c2 = merge_store(out, a);
  CHECK(c2.runs == 0);
  CHECK(c2.runs_updated == 1);
  CHECK(c2.samples == 4);
  CHECK(c2.kernels == 1);
  CHECK(c2.perf == 1);
  {
    auto so = ys::store::Store::open(out);
    CHECK(so.get_run(shared_id)->status == "done");
    CHECK(so.get_samples(shared_id).size() == 10);
    CHECK(so.get_metrics(shared_id).size() == 2);
    CHECK(so.list_runs().size() == 2);
  }
  auto before = all_rows(out);
  MergeCounts c3 = merge_store(out, a);
  MergeCounts c4 = merge_store(out, b);
  CHECK(c3.runs + c3.samples + c3.metrics + c3.perf + c3.kernels + c3.hardware == 0);
  CHECK(c4.runs + c4.samples + c4.metrics + c4.perf + c4.kernels + c4.hardware == 0);
  CHECK(all_rows(out) == before);

  // A store whose copy of the run has other settings: refused, nothing from it lands.
  const std::string bad = (dir.path / "bad.db").string();
  {
    auto sa = ys::store::Store::open(a);
    auto sbad = ys::store::Store::open(bad);
    ys::store::RunRecord r = *sa.get_run(shared_id);
    FakeRun extra;
    extra.acc = scores(3, 1);
    add_run(sbad, extra);  // would be new in out
    r.settings_json = R"({"threads":99})";
    sbad.create_run(r);
  }
  CHECK_THROWS_WITH(merge_store(out, bad), Catch::Contains("settings_json"));
  CHECK(all_rows(out) == before);
}

TEST_CASE("combine_shards: union of samples, metrics from the aggregate, idempotent", "[reports][merge][shards]") {
  TempDir dir;
  const std::string db = (dir.path / "s.db").string();
  {
    auto st = ys::store::Store::open(db);
    for (int i = 1; i <= 3; ++i) {
      FakeRun r;
      r.settings_json = R"({"threads":4,"shard":")" + std::to_string(i) + "/3\"}";
      r.acc = scores(4, static_cast<size_t>(i));
      std::string id = add_run(st, r);
      // Shards hold disjoint documents: rename the doc ids.
      ys::store::Db raw = ys::store::Db::open(db, 1000);
      raw.prepare("UPDATE samples SET doc_id = doc_id || '-' || ? WHERE run_id = ?", "test").bind(1, std::to_string(i)).bind(2, id).run();
    }
  }
  auto groups = find_shard_groups(db);
  REQUIRE(groups.size() == 1);
  REQUIRE(groups[0].shards.size() == 3);
  CHECK_FALSE(groups[0].exists);
  size_t seen = 0;
  std::string id = combine_shards(db, groups[0], [&](const ys::store::RunRecord& run, const std::vector<ys::store::SampleRecord>& s) {
    seen = s.size();
    CHECK(run.settings_json.find("\"shard\":\"\"") != std::string::npos);
    return std::vector<ys::store::MetricRecord>{{"acc", 0.5, 0.1, static_cast<int64_t>(s.size()), true}};
  });
  CHECK(seen == 12);
  auto st = ys::store::Store::open(db);
  auto run = st.get_run(id);
  REQUIRE(run);
  CHECK(run->status == "done");
  CHECK(*run->wall_s == Approx(30.0));
  CHECK(*run->tokens == 3000);
  CHECK(st.get_samples(id).size() == 12);
  CHECK(st.get_metrics(id).at(0).n == 12);
  auto again = find_shard_groups(db);
  REQUIRE(again.size() == 1);
  CHECK(again[0].exists);
  CHECK(again[0].combined_id == id);
}
