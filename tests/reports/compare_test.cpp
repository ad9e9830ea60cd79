#include "common/error.h"
#include "reports/compare.h"
#include "reports/compare_report.h"
#include "reports/overview.h"
#include "tests/reports/report_helpers.h"

#include <catch2/catch.hpp>

using namespace ys::reports;
using namespace ys::test;

TEST_CASE("compare: tables, paired test and flips in md/json/html", "[reports][compare]") {
  TempDir dir;
  auto st = ys::store::Store::open(dir.path / "r.db");
  FakeRun a;
  a.acc = scores(100, 60);
  FakeRun b = a;
  b.quant = "q4_0";
  b.acc = scores(100, 40);  // 20 docs flipped 1 -> 0
  b.wall_s = 5;
  b.output_text = "<script>alert(1)</script>";
  std::string ia = add_run(st, a), ib = add_run(st, b);
  std::vector<RunData> runs = {load_run(st, ia), load_run(st, ib)};
  std::vector<Flip> flips = find_flips(runs[0], runs[1], "");
  REQUIRE(flips.size() == 20);
  CHECK(flips[0].score_a == 1.0);
  CHECK(flips[0].score_b == 0.0);
  Comparison c = compare_runs(runs, "quant", false);
  REQUIRE(c.metrics.size() == 2);
  CHECK(c.metrics[0].name == "acc");
  REQUIRE(c.metrics[0].diffs[1]);
  CHECK(c.metrics[0].diffs[1]->b == 20);
  CHECK(c.metrics[0].diffs[1]->c == 0);
  CHECK(c.metrics[0].diffs[1]->p == Approx(mcnemar_exact_p(20, 0)));
  CHECK(c.metrics[0].diffs[1]->delta == Approx(-0.2));
  // acc/subj pairs on the documents of subject "subj".
  REQUIRE(c.metrics[1].diffs[1]);
  CHECK(c.metrics[1].diffs[1]->n == 100);
  CHECK(c.labels[1] == "quant=q4_0");

  std::string md = compare_markdown(c, &flips);
  CHECK(md.find("| **acc** | 60.00 ± 4.92 | 40.00 ± 4.92 | -20.00 [") != std::string::npos);
  CHECK(md.find("tokens/s (tok/s) | 100.00 | 200.00 |") != std::string::npos);
  CHECK(md.find("20 flipped documents") != std::string::npos);
  CHECK(md.find("<script>") == std::string::npos);

  nlohmann::json j = compare_json(c, &flips);
  CHECK(j["schema"] == "yardstick-compare");
  CHECK(j["schema_version"] == 1);
  CHECK(j["metrics"][0]["diffs"][1]["b"] == 20);
  CHECK(j["flips"].size() == 20);
  CHECK(j["perf"][0]["values"][1].get<double>() == Approx(200.0));

  std::string html = compare_html(c, &flips);
  CHECK(html.find("<script>alert(1)</script>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("name=\"viewport\"") != std::string::npos);
  CHECK(html.find("@media print") != std::string::npos);
}

TEST_CASE("compare refuses mismatched protocols unless allowed", "[reports][compare]") {
  TempDir dir;
  auto st = ys::store::Store::open(dir.path / "r.db");
  FakeRun a;
  a.acc = scores(10, 5);
  FakeRun b = a;
  b.protocol_version = "2";
  std::vector<RunData> runs = {load_run(st, add_run(st, a)), load_run(st, add_run(st, b))};
  try {
    compare_runs(runs, "", false);
    FAIL("expected a mismatch error");
  } catch (const ys::Error& e) {
    CHECK(std::string(e.what()).find("protocol_version") != std::string::npos);
    CHECK(e.kind() == ys::ErrorKind::invalid_input);
  }
  Comparison c = compare_runs(runs, "", true);
  REQUIRE(c.notes.size() == 1);
  FakeRun d = a;
  d.acc = scores(9, 5);  // a different sample set
  std::vector<RunData> runs2 = {runs[0], load_run(st, add_run(st, d))};
  CHECK_THROWS_WITH(compare_runs(runs2, "", false), Catch::Contains("sample set"));
}

TEST_CASE("report: overview md/json/html of a store", "[reports][overview]") {
  TempDir dir;
  auto st = ys::store::Store::open(dir.path / "r.db");
  FakeRun a;
  a.acc = scores(20, 12);
  a.model = "models/x<img src=x onerror=alert(1)>.gguf";
  std::string ia = add_run(st, a);
  ys::store::KernelRecord k;
  k.run_id = ia;
  k.name = "matmul_q8_0";
  k.dtype = "q8_0";
  k.isa = "avx2";
  k.ns_per_iter = 1200;
  k.flops_per_s = 5.5e10;
  k.peak_fraction = 0.42;
  st.add_kernel_result(k);
  ys::store::PerfRecord p;
  p.run_id = ia;
  p.name = "decode_tokens_per_s";
  p.value = 50;
  p.unit = "tok/s";
  p.repetitions = 5;
  p.median = 51;
  p.stddev = 1.5;
  st.add_perf_result(p);
  Overview o = load_overview(st);
  REQUIRE(o.runs.size() == 1);
  REQUIRE(o.kernels.size() == 1);
  std::string md = overview_markdown(o);
  CHECK(md.find("acc 60.00 ± 11.24 %") != std::string::npos);
  CHECK(md.find("| matmul\\_q8\\_0 |") != std::string::npos);
  CHECK(md.find("42.0 %") != std::string::npos);
  std::string html = overview_html(o);
  CHECK(html.find("<img src=x") == std::string::npos);
  CHECK(html.find("x&lt;img src=x onerror=alert(1)&gt;.gguf") != std::string::npos);
  CHECK(html.find("id=\"kernels\"") != std::string::npos);
  CHECK(html.find("Accuracy vs throughput") != std::string::npos);
  CHECK(html.find("Accuracy per subject") != std::string::npos);  // acc/subj: documents "subj/..."
  nlohmann::json j = overview_json(o);
  CHECK(j["schema"] == "yardstick-report");
  CHECK(j["runs"][0]["headline"]["value"].get<double>() == Approx(0.6));
  CHECK(j["kernels"][0]["gflop_per_s"].get<double>() == Approx(55.0));
  CHECK(j["runs"][0]["perf"][0]["median"].get<double>() == Approx(51.0));
}
