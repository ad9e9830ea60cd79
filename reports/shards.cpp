// Shard groups and their combination into one run (merge.h).
#include "common/error.h"
#include "common/hash.h"
#include "reports/merge.h"
#include "runner/store/sqlite.h"
#include "runner/store/store.h"

#include <nlohmann/json.hpp>

#include <map>
#include <sstream>

namespace ys::reports {
namespace {

using nlohmann::json;

// "I/N" -> {I, N}; {0, 0} when not a shard.
std::pair<int, int> parse_shard(const std::string& s) {
  int i = 0, n = 0;
  char slash = 0;
  std::stringstream ss(s);
  if (!(ss >> i >> slash >> n) || slash != '/' || i < 1 || n < 1 || i > n) return {0, 0};
  return {i, n};
}

std::string group_key(const store::RunRecord& r, int n) {
  json s = json::parse(r.settings_json, nullptr, false);
  if (!s.is_object()) return "";
  s["shard"] = "";
  s.erase("threads");  // recorded as the count each machine used; it does not change results
  return json::array({r.kind, r.suite, r.model_sha256, r.quant, s.dump(), r.dataset_json, r.protocol_json,
                      r.protocol_version, r.code_version, r.seed, n})
      .dump();
}

std::string uuid_from(const std::string& text) {
  std::string h = sha256_hex(text).substr(0, 32);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20, 12);
}

}  // namespace

std::vector<ShardGroup> find_shard_groups(const std::string& db_path) {
  auto st = store::Store::open(db_path);
  store::RunFilter f;
  f.status = "done";
  std::map<std::string, std::map<int, store::RunRecord>> groups;  // key -> shard index -> newest run
  for (const auto& r : st.list_runs(f)) {  // newest first: keep the first seen per index
    json s = json::parse(r.settings_json, nullptr, false);
    if (!s.is_object() || !s.contains("shard") || !s["shard"].is_string()) continue;
    auto [i, n] = parse_shard(s["shard"].get<std::string>());
    if (n < 2) continue;
    groups[group_key(r, n)].emplace(i, r);
  }
  std::vector<ShardGroup> out;
  for (auto& [key, by_index] : groups) {
    auto [first_i, n] = parse_shard(json::parse(by_index.begin()->second.settings_json)["shard"].get<std::string>());
    (void)first_i;
    if (static_cast<int>(by_index.size()) != n) continue;  // incomplete: not every shard is here
    ShardGroup g;
    std::string ids;
    for (auto& [i, r] : by_index) {
      ids += r.id + ",";
      g.shards.push_back(r);
    }
    g.combined_id = uuid_from("yardstick-shards:" + ids);
    g.exists = st.get_run(g.combined_id).has_value();
    out.push_back(std::move(g));
  }
  return out;
}

std::string combine_shards(const std::string& db_path, const ShardGroup& g, const AggregateFn& aggregate) {
  if (g.shards.empty()) fail(ErrorKind::internal, "combine_shards: empty group");
  auto st = store::Store::open(db_path);
  std::vector<store::SampleRecord> samples;
  for (const auto& r : g.shards)
    for (auto& s : st.get_samples(r.id)) samples.push_back(std::move(s));
  store::RunRecord c = g.shards.front();
  c.id = g.combined_id;
  json settings = json::parse(c.settings_json);
  settings["shard"] = "";
  c.settings_json = settings.dump();
  double wall = 0;
  int64_t tokens = 0;
  for (const auto& r : g.shards) {
    wall += r.wall_s.value_or(0);
    tokens += r.tokens.value_or(0);
    if (r.hardware_id != c.hardware_id) c.hardware_id.clear();  // shards ran on several machines
    c.created_at = std::max(c.created_at, r.created_at);
    c.finished_at = std::max(c.finished_at, r.finished_at);
  }
  std::vector<store::MetricRecord> metrics = aggregate(c, samples);

  store::Db db = store::Db::open(db_path, 30000);
  store::Txn txn(db, "combining shards into run " + c.id);
  db.prepare("INSERT INTO runs (id, created_at, finished_at, status, kind, suite, model_path, model_sha256, quant, "
             "settings_json, dataset_json, protocol_json, protocol_version, code_version, seed, hardware_id, tag, wall_s, "
             "tokens, error) VALUES (?,?,?,'done',?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'')",
             "inserting the combined run")
      .bind(1, c.id).bind(2, c.created_at).bind(3, c.finished_at).bind(4, c.kind).bind(5, c.suite)
      .bind(6, c.model_path).bind(7, c.model_sha256).bind(8, c.quant).bind(9, c.settings_json)
      .bind(10, c.dataset_json).bind(11, c.protocol_json).bind(12, c.protocol_version).bind(13, c.code_version)
      .bind(14, c.seed).bind_text_or_null(15, c.hardware_id).bind(16, c.tag).bind(17, wall).bind(18, tokens)
      .run();
  store::Stmt ins = db.prepare("INSERT INTO samples (run_id, doc_id, prompt_hash, request_json, output_json, target, scores_json, "
                        "extra_json, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                        "inserting combined samples");
  for (const auto& s : samples) {
    ins.bind(1, c.id).bind(2, s.doc_id).bind(3, s.prompt_hash).bind(4, s.request_json).bind(5, s.output_json)
        .bind(6, s.target).bind(7, s.scores_json).bind(8, s.extra_json).bind(9, s.created_at).run();
    ins.reset();
  }
  store::Stmt met = db.prepare("INSERT INTO metrics (run_id, name, value, stderr, n, headline) VALUES (?,?,?,?,?,?)",
                        "inserting combined metrics");
  for (const auto& m : metrics) {
    met.bind(1, c.id).bind(2, m.name).bind(3, m.value).bind(4, m.std_err).bind(5, m.n)
        .bind(6, static_cast<int64_t>(m.headline ? 1 : 0)).run();
    met.reset();
  }
  txn.commit();
  return c.id;
}

}  // namespace ys::reports
