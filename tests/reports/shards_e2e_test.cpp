// A suite run as 3 shards and merged with --combine-shards equals the same suite run
// whole, record for record (the binary, a synthetic model, mmlu --limit 6).
#include "runner/store/store.h"
#include "tests/reports/report_helpers.h"

#include <catch2/catch.hpp>

using namespace ys::test;

TEST_CASE("shards 1/3..3/3 merged with --combine-shards equal the whole run", "[reports][merge][shards][e2e]") {
  E2eSetup e;
  if (!e.ready) return;
  const std::string &bin = e.bin, &d = e.d, &log = e.log;
  const std::string run = bin + " run --model " + e.model + " --suite mmlu --limit 6 --threads 2 --data-dir " + e.data;
  INFO("log: " << read_file(e.dir.path / "log.txt"));
  REQUIRE(run_cmd(run + " --db " + d + "/whole.db" + log) == 0);
  std::string shards;
  for (int i = 1; i <= 3; ++i) {
    std::string db = d + "/s" + std::to_string(i) + ".db";
    REQUIRE(run_cmd(run + " --shard " + std::to_string(i) + "/3 --db " + db + log) == 0);
    shards += " " + db;
  }
  const std::string merge = bin + " merge" + shards + " -o " + d + "/all.db --combine-shards --data-dir " + e.data + log;
  REQUIRE(run_cmd(merge) == 0);
  REQUIRE(run_cmd(merge) == 0);  // idempotent: nothing new, the combination is not repeated
  CHECK(ys::store::Store::open(d + "/all.db").list_runs().size() == 4);
  check_equal_runs(d + "/whole.db", d + "/all.db", 6);
}
