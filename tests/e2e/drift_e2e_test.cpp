// `yardstick compare` drift end to end (issue 9): two runs of one synthetic model with
// different batch sizes (and --deterministic, which the CPU accepts and records) report
// bitwise-identical outputs, since the CPU engine is batch-invariant. The GSM8K runs also
// report and store their generation throughput.
#include "tests/e2e/harness.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace e2e;
using nlohmann::json;

TEST_CASE("compare: runs with batch sizes 1 and 7 show no drift on CPU", "[e2e][drift]") {
  Fixture fx;
  if (!fx.ok()) return;
  for (const std::string suite : {"mmlu", "gsm8k"}) {
    INFO("suite " << suite);
    const std::string db = fx.db(suite + ".db");
    const std::vector<std::string> base = {"--suite", suite, "--limit", "5"};
    std::vector<std::string> a = base, b = base;
    a.insert(a.end(), {"--batch-size", "1", "--no-prefix-cache"});
    b.insert(b.end(), {"--batch-size", "7", "--deterministic"});
    for (const auto& args : {a, b}) {
      Result r = fx.run_eval(db, args);
      INFO(r.all());
      REQUIRE(r.rc == 0);
      // Generation suites report their generation throughput (decode steps only).
      const bool gen = suite == "gsm8k";
      CHECK((r.out.find("generation ") != std::string::npos) == gen);
      if (gen && args == a) CHECK(r.out.find("mean batch 1.0)") != std::string::npos);
    }
    const std::vector<RunRow> rs = runs(db);
    REQUIRE(rs.size() == 2);
    if (suite == "gsm8k") {  // ... and store it with the run, where show prints it
      Result sh = run({"show", rs[1].id, "--db", db}, fx.dir.path());
      INFO(sh.all());
      CHECK(sh.out.find("generation_tokens_per_s") != std::string::npos);
      CHECK(sh.out.find("prompt_tokens_per_s") != std::string::npos);
    }
    CHECK(json::parse(rs[0].settings_json)["deterministic"] == false);
    CHECK(json::parse(rs[1].settings_json)["deterministic"] == true);

    Result js = run({"compare", rs[0].id, rs[1].id, "--db", db, "--format", "json"}, fx.dir.path());
    INFO(js.all());
    REQUIRE(js.rc == 0);
    const json d = json::parse(js.out)["drift"];
    REQUIRE(d.size() == 2);
    CHECK(d[0].is_null());
    CHECK(d[1]["verdict"] == "identical");
    CHECK(d[1]["shared"] == 5);
    CHECK(d[1]["identical_outputs"] == 5);
    CHECK(d[1]["values"]["max_abs"] == 0.0);
    if (suite == "mmlu") CHECK(d[1]["values"]["compared"] == 20);  // four loglikelihoods per question
    else CHECK(d[1]["strings"]["compared"].get<int>() >= 5);       // the generated texts

    Result md = run({"compare", rs[0].id, rs[1].id, "--db", db}, fx.dir.path());
    INFO(md.all());
    REQUIRE(md.rc == 0);
    CHECK(md.out.find("Numerical drift vs the reference") != std::string::npos);
    CHECK(md.out.find("bitwise identical") != std::string::npos);
  }
}
