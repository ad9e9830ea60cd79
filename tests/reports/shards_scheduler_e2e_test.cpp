// The scheduler recipes of docs/scale-out.md, run locally: tools/run-shard.sh launched as N
// concurrent processes with the index variables a Kubernetes Indexed Job or a Slurm job
// array sets, writing one store per shard and one store for all shards, then
// tools/merge-shards.sh; each combined run must equal the same suite run unsharded.
#include "runner/store/store.h"
#include "tests/reports/report_helpers.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace ys::test;

TEST_CASE("scheduler recipes: concurrent shard processes on one store and on N stores merge to the whole run",
          "[reports][merge][shards][e2e]") {
  E2eSetup e;
  if (!e.ready) return;
  const std::string &bin = e.bin, &d = e.d, &log = e.log, &model = e.model, &data = e.data;
  TempDir& dir = e.dir;
  const std::string tools = std::string(YS_SOURCE_DIR) + "/tools";
  const std::string flags = " --model " + model + " --suite mmlu --limit 7 --threads 1 --data-dir " + data;
  INFO("log: " << read_file(dir.path / "log.txt"));
  REQUIRE(run_cmd(bin + " run" + flags + " --db " + d + "/whole.db" + log) == 0);
  const std::string env = "YARDSTICK_BIN=" + bin + " ";
  const int n = 3;

  // N concurrent processes; the shell's status is 0 only when every one of them exits 0.
  auto concurrently = [](const std::vector<std::string>& cmds) {
    std::string sh = "(", waits;
    for (size_t i = 0; i < cmds.size(); ++i) {
      sh += cmds[i] + " & p" + std::to_string(i) + "=$!; ";
      waits += (i ? " && wait $p" : "wait $p") + std::to_string(i);
    }
    return sh + waits + ")";
  };
  // Kubernetes Indexed Job: JOB_COMPLETION_INDEX 0..N-1, one store per pod.
  std::vector<std::string> pods, tasks;
  for (int i = 0; i < n; ++i)
    pods.push_back(env + "JOB_COMPLETION_INDEX=" + std::to_string(i) + " YS_SHARDS=3 YS_OUT=" + d + "/k8s " + tools +
                   "/run-shard.sh" + flags + log);
  // Slurm job array 1..N, every task writing the same store.
  for (int i = 1; i <= n; ++i)
    tasks.push_back(env + "SLURM_ARRAY_TASK_ID=" + std::to_string(i) + " SLURM_ARRAY_TASK_COUNT=3 YS_DB=" + d +
                    "/one.db " + tools + "/run-shard.sh" + flags + log);
  const std::string k8s = concurrently(pods), slurm = concurrently(tasks);
  REQUIRE(run_cmd(k8s) == 0);
  REQUIRE(run_cmd(slurm) == 0);
  for (int i = 1; i <= n; ++i)
    REQUIRE(std::filesystem::exists(d + "/k8s/shard-" + std::to_string(i) + "-of-3.db"));
  REQUIRE(ys::store::Store::open(d + "/one.db").list_runs().size() == 3);

  REQUIRE(run_cmd(env + tools + "/merge-shards.sh " + d + "/k8s-all.db " + d + "/k8s/shard-1-of-3.db " + d +
                  "/k8s/shard-2-of-3.db " + d + "/k8s/shard-3-of-3.db -- --data-dir " + data + log) == 0);
  REQUIRE(run_cmd(env + tools + "/merge-shards.sh " + d + "/one-all.db " + d + "/one.db -- --data-dir " + data + log) ==
          0);
  check_equal_runs(d + "/whole.db", d + "/k8s-all.db", 7);
  check_equal_runs(d + "/whole.db", d + "/one-all.db", 7);

  // Without an index the script refuses (exit 2) instead of running the whole suite.
  CHECK(run_cmd(env + "YS_SHARDS=3 " + tools + "/run-shard.sh" + flags + log) != 0);
}
