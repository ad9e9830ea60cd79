// A suite run as 3 shards and merged with --combine-shards equals the same suite run
// whole, record for record (the binary, a synthetic model, mmlu --limit 6).
#include "runner/store/store.h"
#include "tests/reports/report_helpers.h"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace ys::test;

namespace {

std::string shared_data() {
  const char* env = std::getenv("YARDSTICK_SHARED_DATA");
  if (env && *env) return env;
  return std::string(YS_SOURCE_DIR) + "/../shared/datasets";
}

ys::store::RunRecord only_unsharded_run(ys::store::Store& st) {
  for (const auto& r : st.list_runs())
    if (r.settings_json.find("\"shard\":\"\"") != std::string::npos) return r;
  FAIL("no unsharded run in " << st.path());
  return {};
}

}  // namespace

TEST_CASE("shards 1/3..3/3 merged with --combine-shards equal the whole run", "[reports][merge][shards][e2e]") {
  const std::string bin = yardstick_bin();
  if (!std::filesystem::exists(bin)) {
    WARN("yardstick binary not built at " << bin << "; skipping");
    return;
  }
  if (!std::filesystem::exists(shared_data() + "/mmlu")) {
    WARN("no datasets at " << shared_data() << " (set YARDSTICK_SHARED_DATA); skipping");
    return;
  }
  TempDir dir;
  const std::string d = dir.path.string(), log = " >>" + d + "/log.txt 2>&1";
  const std::string model = d + "/tiny.gguf", data = d + "/data";
  REQUIRE(run_cmd(bin + " synth --arch llama --layers 2 --dim 64 --heads 4 --kv-heads 2 --ffn 128 --vocab 512 --type f32 -o " +
                  model + log) == 0);
  REQUIRE(run_cmd(bin + " data --data-dir " + data + " import " + shared_data() + log) == 0);
  const std::string run = bin + " run --model " + model + " --suite mmlu --limit 6 --threads 2 --data-dir " + data;
  INFO("log: " << read_file(dir.path / "log.txt"));
  REQUIRE(run_cmd(run + " --db " + d + "/whole.db" + log) == 0);
  std::string shards;
  for (int i = 1; i <= 3; ++i) {
    std::string db = d + "/s" + std::to_string(i) + ".db";
    REQUIRE(run_cmd(run + " --shard " + std::to_string(i) + "/3 --db " + db + log) == 0);
    shards += " " + db;
  }
  const std::string merge = bin + " merge" + shards + " -o " + d + "/all.db --combine-shards --data-dir " + data + log;
  REQUIRE(run_cmd(merge) == 0);
  REQUIRE(run_cmd(merge) == 0);  // idempotent: nothing new, the combination is not repeated

  auto whole = ys::store::Store::open(d + "/whole.db");
  auto all = ys::store::Store::open(d + "/all.db");
  CHECK(all.list_runs().size() == 4);
  auto rw = only_unsharded_run(whole), rc = only_unsharded_run(all);
  CHECK(rc.settings_json == rw.settings_json);
  CHECK(rc.dataset_json == rw.dataset_json);
  CHECK(rc.protocol_version == rw.protocol_version);
  CHECK(rc.status == "done");
  auto sw = whole.get_samples(rw.id), sc = all.get_samples(rc.id);
  REQUIRE(sw.size() == 6);
  REQUIRE(sc.size() == sw.size());
  for (size_t i = 0; i < sw.size(); ++i) {
    INFO("doc " << sw[i].doc_id);
    CHECK(sc[i].doc_id == sw[i].doc_id);
    CHECK(sc[i].prompt_hash == sw[i].prompt_hash);
    CHECK(sc[i].request_json == sw[i].request_json);
    CHECK(sc[i].output_json == sw[i].output_json);
    CHECK(sc[i].target == sw[i].target);
    CHECK(sc[i].scores_json == sw[i].scores_json);
    CHECK(sc[i].extra_json == sw[i].extra_json);
  }
  auto mw = whole.get_metrics(rw.id), mc = all.get_metrics(rc.id);
  REQUIRE(mc.size() == mw.size());
  REQUIRE_FALSE(mw.empty());
  for (size_t i = 0; i < mw.size(); ++i) {
    INFO("metric " << mw[i].name);
    CHECK(mc[i].name == mw[i].name);
    CHECK(mc[i].value == mw[i].value);
    CHECK(mc[i].std_err == mw[i].std_err);
    CHECK(mc[i].n == mw[i].n);
    CHECK(mc[i].headline == mw[i].headline);
  }
}
