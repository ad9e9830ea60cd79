// `yardstick run` error paths and config-file handling, end to end.
#include "tests/e2e/harness.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace e2e;

namespace {

void write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

bool has(const Result& r, const std::string& needle) { return r.all().find(needle) != std::string::npos; }

}  // namespace

TEST_CASE("run: missing data, altered data, unknown suite, bad shard", "[e2e]") {
  Fixture fx;
  if (!fx.ok()) return;
  SECTION("missing data dir -> 1, says `yardstick data import`") {
    Result r = run({"run", "--model", fx.model, "--data-dir", fx.dir / "nowhere", "--db", fx.db(), "--suite", "mmlu",
                    "--limit", "1"},
                   fx.dir.path());
    INFO(r.all());
    CHECK(r.rc == 1);
    CHECK(has(r, "yardstick data import"));
  }
  SECTION("altered data file -> 1, names the file") {
    const std::string rel = "mmlu/test/abstract_algebra_test.csv";
    std::ofstream(fx.data + "/" + rel, std::ios::app) << "x";
    Result r = fx.run_eval(fx.db(), {"--suite", "mmlu", "--limit", "1"});
    INFO(r.all());
    CHECK(r.rc == 1);
    CHECK(has(r, "abstract_algebra_test.csv"));
  }
  SECTION("unknown suite -> 2 with a suggestion") {
    Result r = fx.run_eval(fx.db(), {"--suite", "mmluu", "--limit", "1"});
    INFO(r.all());
    CHECK(r.rc == 2);
    CHECK(has(r, "did you mean"));
    CHECK(has(r, "\"mmlu\""));
  }
  SECTION("bad --shard -> 2") {
    for (const char* bad : {"0/3", "4/3", "1/0", "2", "1/3x", "a/b"}) {
      Result r = fx.run_eval(fx.db(), {"--suite", "mmlu", "--limit", "1", "--shard", bad});
      INFO(bad << ": " << r.all());
      CHECK(r.rc == 2);
      CHECK(has(r, "--shard"));
    }
  }
}

TEST_CASE("run: config file keys, duplicates, precedence", "[e2e]") {
  Fixture fx;
  if (!fx.ok()) return;
  std::string cfg = fx.dir / "cfg.json";
  SECTION("unknown key -> 2 naming it") {
    write(cfg, R"({"suite": "mmlu", "limitt": 2})");
    Result r = fx.run_eval(fx.db(), {"--config", cfg});
    INFO(r.all());
    CHECK(r.rc == 2);
    CHECK(has(r, "limitt"));
  }
  SECTION("wrong type -> 2 naming the file, the key and the value (found by tools/fuzz.sh)") {
    for (const char* text : {R"({"suite": "mmlu", "tag": 5555513333333333333333333})",
                             R"({"suite": ["mmlu", 3]})", R"({"suite": "mmlu", "limit": "2", "tag": "x"})",
                             R"({"suite": "mmlu", "deterministic": 1})", R"({"suite": "mmlu", "top_p": "x"})"}) {
      write(cfg, text);
      Result r = fx.run_eval(fx.db(), {"--config", cfg});
      INFO(text << "\n" << r.all());
      CHECK(r.rc == 2);
      CHECK(has(r, cfg + ": key \""));
      CHECK(has(r, "expected "));
    }
  }
  SECTION("a number past double's range -> 1, not valid JSON (found by tools/fuzz.sh)") {
    write(cfg, R"({"suite": "mmlu", "limit": 2e22222244444})");
    Result r = fx.run_eval(fx.db(), {"--config", cfg});
    INFO(r.all());
    CHECK(r.rc == 1);
    CHECK(has(r, cfg + ": not valid JSON"));
  }
  SECTION("duplicate key -> 1 naming it") {
    write(cfg, R"({"suite": "mmlu", "limit": 2, "limit": 3})");
    Result r = fx.run_eval(fx.db(), {"--config", cfg});
    INFO(r.all());
    CHECK(r.rc == 1);
    CHECK(has(r, "\"limit\""));
  }
  SECTION("config values apply when flags are absent; flags win") {
    write(cfg, R"({"suite": "mmlu", "limit": 2, "tag": "from-config", "num_fewshot": 0})");
    std::string db1 = fx.db("a.db"), db2 = fx.db("b.db");
    Result r1 = fx.run_eval(db1, {"--config", cfg});
    INFO(r1.all());
    REQUIRE(r1.rc == 0);
    RunRow a = only_run(db1);
    auto sa = nlohmann::json::parse(a.settings_json);
    CHECK(sa["limit"] == 2);
    CHECK(sa["tag"] == "from-config");
    CHECK(samples(db1, a.id).size() == 2);

    Result r2 = fx.run_eval(db2, {"--config", cfg, "--limit", "3", "--tag", "from-flag"});
    INFO(r2.all());
    REQUIRE(r2.rc == 0);
    RunRow b = only_run(db2);
    auto sb = nlohmann::json::parse(b.settings_json);
    CHECK(sb["limit"] == 3);
    CHECK(sb["tag"] == "from-flag");
    CHECK(sb["num_fewshot"] == 0);
    CHECK(samples(db2, b.id).size() == 3);
  }
}
