#include "common/error.h"
#include "reports/baseline.h"
#include "reports/gate.h"
#include "tests/reports/report_helpers.h"

#include <catch2/catch.hpp>

using namespace ys::reports;
using namespace ys::test;

namespace {

struct GateStore {
  TempDir dir;
  ys::store::Store st = ys::store::Store::open(dir.path / "g.db");
  std::string db() const { return (dir.path / "g.db").string(); }
};

}  // namespace

TEST_CASE("gate: identical runs pass, significant drop fails, small drop passes", "[reports][gate]") {
  GateStore g;
  FakeRun base;
  base.acc = scores(400, 240);
  FakeRun same = base;
  FakeRun flipped = base;
  flipped.acc = scores(400, 200);  // 40 docs 1 -> 0: -10 pp, McNemar p ~ 2e-12
  FakeRun small = base;
  small.acc = scores(400, 237);    // 3 docs: -0.75 pp, p = 0.25
  std::string ib = add_run(g.st, base), is = add_run(g.st, same), iflip = add_run(g.st, flipped), ismall = add_run(g.st, small);
  RunData b = load_run(g.st, ib);

  GateResult r1 = run_gate(b, load_run(g.st, is), {});
  REQUIRE(r1.rows.size() == 1);
  CHECK_FALSE(r1.failed());
  CHECK(r1.rows[0].why == "no drop");

  GateOptions opt;
  opt.metrics.push_back({"acc", parse_threshold("1", "--max-drop")});
  GateResult r2 = run_gate(b, load_run(g.st, iflip), opt);
  CHECK(r2.failed());
  CHECK(*r2.rows[0].delta == Approx(-10.0));
  CHECK(r2.rows[0].unit == "pp");
  CHECK(*r2.rows[0].p < 1e-6);
  CHECK(r2.rows[0].test == "mcnemar-exact");

  // Over the threshold (0.5 pp) but not significant -> pass; and with max-drop 0 too.
  GateOptions loose;
  loose.metrics.push_back({"acc", parse_threshold("0.5pp", "--max-drop")});
  GateResult r3 = run_gate(b, load_run(g.st, ismall), loose);
  CHECK_FALSE(r3.failed());
  CHECK(r3.rows[0].why.find("not significant") != std::string::npos);
  // Significant but within a 20% relative threshold -> pass.
  GateOptions rel;
  rel.metrics.push_back({"acc", parse_threshold("20%", "--max-drop")});
  CHECK_FALSE(run_gate(b, load_run(g.st, iflip), rel).failed());

  std::string junit = gate_junit(r2);
  CHECK(junit.find("failures=\"1\"") != std::string::npos);
  CHECK(junit.find("<failure message=") != std::string::npos);
  std::string md = gate_markdown(r2);
  CHECK(md.find("FAIL") != std::string::npos);
  CHECK(md.find("| acc | 60.00 | 50.00 | -10.00 pp |") != std::string::npos);
  CHECK_THROWS_AS(parse_threshold("abc", "--max-drop"), ys::Error);
  CHECK(parse_fraction("5%", "--max-slowdown") == Approx(0.05));
  CHECK_THROWS(parse_fraction("5", "--max-slowdown"));
}

TEST_CASE("gate: perf slowdown beyond threshold fails; mismatched protocol refused", "[reports][gate]") {
  GateStore g;
  FakeRun base;
  base.acc = scores(50, 25);
  FakeRun slow = base;
  slow.wall_s = 20;  // tokens/s halves
  FakeRun other = base;
  other.protocol_version = "9";
  std::string ib = add_run(g.st, base), islow = add_run(g.st, slow), io = add_run(g.st, other);
  GateOptions opt;
  opt.perf.push_back({"tokens_per_s", 0.05, "5%"});
  GateResult r = run_gate(load_run(g.st, ib), load_run(g.st, islow), opt);
  REQUIRE(r.rows.size() == 2);
  CHECK(r.rows[0].passed);
  CHECK_FALSE(r.rows[1].passed);
  CHECK(r.rows[1].why.find("50.0% slower") != std::string::npos);
  CHECK_THROWS_WITH(run_gate(load_run(g.st, ib), load_run(g.st, io), {}), Catch::Contains("protocol_version"));
  GateOptions allow;
  allow.allow_mismatch = true;
  CHECK(run_gate(load_run(g.st, ib), load_run(g.st, io), allow).notes.size() == 1);
}

TEST_CASE("baseline export round trip, and the binary's exit codes", "[reports][gate][baseline]") {
  GateStore g;
  FakeRun base;
  base.acc = scores(300, 180);
  FakeRun flipped = base;
  flipped.acc = scores(300, 140);
  std::string ib = add_run(g.st, base), iflip = add_run(g.st, flipped), isame = add_run(g.st, base);
  RunData b = load_run(g.st, ib);
  RunData back = baseline_from_json(baseline_json(b), "mem");
  CHECK(back.run.id == b.run.id);
  CHECK(back.run.protocol_version == b.run.protocol_version);
  CHECK(back.run.dataset_json == b.run.dataset_json);
  CHECK(back.metrics.size() == b.metrics.size());
  CHECK(back.metrics[0].value == b.metrics[0].value);
  REQUIRE(back.samples.size() == 300);
  CHECK(back.samples[5].scores.at("acc") == b.samples[5].scores.at("acc"));
  CHECK(*back.tokens_per_s() == Approx(*b.tokens_per_s()));
  CHECK_THROWS_WITH(baseline_from_json(nlohmann::json{{"schema", "x"}}, "bad.json"), Catch::Contains("bad.json"));

  const std::string bin = yardstick_bin();
  if (!std::filesystem::exists(bin)) {
    WARN("yardstick binary not built at " << bin << "; skipping the CLI part");
    return;
  }
  const std::string db = " --db " + g.db(), q = " >/dev/null 2>&1";
  auto file = (g.dir.path / "base.json").string();
  REQUIRE(run_cmd(bin + " baseline export " + ib + db + " -o " + file + q) == 0);
  CHECK(run_cmd(bin + " gate --baseline " + file + " --candidate " + isame + db + q) == 0);
  auto junit = (g.dir.path / "j.xml").string(), md = (g.dir.path / "s.md").string();
  CHECK(run_cmd(bin + " gate --baseline " + file + " --candidate " + iflip + " --metric acc --max-drop 1" + db +
                " --junit " + junit + " --md " + md + q) == 3);
  CHECK(read_file(junit).find("<failure") != std::string::npos);
  CHECK(read_file(md).find("FAIL") != std::string::npos);
  CHECK(run_cmd(bin + " gate --baseline " + ib + " --candidate " + iflip + " --metric acc --max-drop 15" + db + q) == 0);
  CHECK(run_cmd(bin + " gate --baseline " + ib + " --candidate " + iflip + " --max-drop x --metric acc" + db + q) == 2);
  CHECK(run_cmd(bin + " compare " + ib + " " + iflip + db + " --format json -o " + (g.dir.path / "c.json").string() + q) == 0);
  CHECK(read_file(g.dir.path / "c.json").find("\"mcnemar-exact\"") != std::string::npos);
}
