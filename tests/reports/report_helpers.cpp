#include "tests/reports/report_helpers.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <sys/wait.h>

namespace ys::test {

TempDir::TempDir() {
  std::random_device rd;
  path = std::filesystem::temp_directory_path() / ("ys-reports-" + std::to_string(rd()) + std::to_string(rd()));
  std::filesystem::create_directories(path);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string shared_data() {
  const char* env = std::getenv("YARDSTICK_SHARED_DATA");
  if (env && *env) return env;
  return std::string(YS_SOURCE_DIR) + "/../shared/datasets";
}

E2eSetup::E2eSetup() : bin(yardstick_bin()), d(dir.path.string()), log(" >>" + d + "/log.txt 2>&1") {
  model = d + "/tiny.gguf";
  data = d + "/data";
  if (!std::filesystem::exists(bin)) {
    WARN("yardstick binary not built at " << bin << "; skipping");
    return;
  }
  if (!std::filesystem::exists(shared_data() + "/mmlu")) {
    WARN("no datasets at " << shared_data() << " (set YARDSTICK_SHARED_DATA); skipping");
    return;
  }
  REQUIRE(run_cmd(bin + " synth --arch llama --layers 2 --dim 64 --heads 4 --kv-heads 2 --ffn 128 --vocab 512 --type f32 -o " +
                  model + log) == 0);
  REQUIRE(run_cmd(bin + " data --data-dir " + data + " import " + shared_data() + log) == 0);
  ready = true;
}

store::RunRecord unsharded_run(store::Store& st) {
  for (const auto& r : st.list_runs())
    if (r.settings_json.find("\"shard\":\"\"") != std::string::npos) return r;
  FAIL("no unsharded run in " << st.path());
  return {};
}

void check_equal_runs(const std::string& whole_db, const std::string& merged_db, size_t n_docs) {
  auto whole = store::Store::open(whole_db);
  auto merged = store::Store::open(merged_db);
  auto rw = unsharded_run(whole), rc = unsharded_run(merged);
  CHECK(rc.settings_json == rw.settings_json);
  CHECK(rc.dataset_json == rw.dataset_json);
  CHECK(rc.protocol_version == rw.protocol_version);
  CHECK(rc.status == "done");
  auto sw = whole.get_samples(rw.id), sc = merged.get_samples(rc.id);
  REQUIRE(sw.size() == n_docs);
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
  auto mw = whole.get_metrics(rw.id), mc = merged.get_metrics(rc.id);
  REQUIRE_FALSE(mw.empty());
  REQUIRE(mc.size() == mw.size());
  for (size_t i = 0; i < mw.size(); ++i) {
    INFO("metric " << mw[i].name);
    CHECK(mc[i].name == mw[i].name);
    CHECK(mc[i].value == mw[i].value);
    CHECK(mc[i].std_err == mw[i].std_err);
    CHECK(mc[i].n == mw[i].n);
    CHECK(mc[i].headline == mw[i].headline);
  }
}

std::vector<double> scores(size_t n, size_t ones) {
  std::vector<double> v(n, 0.0);
  for (size_t i = 0; i < ones && i < n; ++i) v[i] = 1.0;
  return v;
}

std::string add_run(store::Store& st, const FakeRun& f) {
  store::RunRecord r;
  r.suite = f.suite;
  r.model_path = f.model;
  r.model_sha256 = "ab";
  r.quant = f.quant;
  r.protocol_version = f.protocol_version;
  r.dataset_json = R"({"mmlu/test.csv":"00ff"})";
  r.settings_json = f.settings_json;
  r.tag = f.tag;
  std::string id = st.create_run(r);
  std::vector<store::SampleRecord> samples;
  double sum = 0;
  for (size_t i = 0; i < f.acc.size(); ++i) {
    store::SampleRecord s;
    s.doc_id = "subj/" + std::to_string(1000 + i);
    s.prompt_hash = "h" + std::to_string(i);
    s.request_json = nlohmann::json{{"context", "Question " + std::to_string(i) + "?"}}.dump();
    s.output_json = nlohmann::json{{"text", f.output_text}}.dump();
    s.target = "A";
    s.scores_json = nlohmann::json{{"acc", f.acc[i]}}.dump();
    samples.push_back(s);
    sum += f.acc[i];
  }
  st.append_samples(id, samples);
  double n = static_cast<double>(f.acc.size());
  double mean = n > 0 ? sum / n : 0;
  double se = n > 1 ? std::sqrt(mean * (1 - mean) / (n - 1)) : 0;
  st.set_metrics(id, {{"acc", mean, se, static_cast<int64_t>(n), true}, {"acc/subj", mean, se, static_cast<int64_t>(n), false}});
  st.finish_run(id, "done", f.wall_s, f.tokens, "");
  return id;
}

std::string add_mmlu_run(store::Store& st, const FakeMmluRun& f) {
  store::RunRecord r;
  r.suite = "mmlu";
  r.model_path = "models/tiny.gguf";
  r.model_sha256 = "ab";
  r.quant = f.quant;
  r.protocol_version = "1";
  r.dataset_json = R"({"mmlu/test.csv":"00ff"})";
  r.settings_json = f.settings_json;
  std::string id = st.create_run(r);
  std::vector<store::SampleRecord> samples;
  std::map<std::string, std::vector<double>> by_category;
  std::vector<double> all;
  std::vector<store::MetricRecord> metrics;
  double macro = 0;
  auto mean_se = [](const std::vector<double>& xs) {
    double n = static_cast<double>(xs.size()), m = 0;
    for (double x : xs) m += x;
    m /= n;
    return std::make_pair(m, n > 1 ? std::sqrt(m * (1 - m) / (n - 1)) : 0.0);
  };
  for (size_t s = 0; s < f.subjects.size(); ++s) {
    const auto& [subject, category] = f.subjects[s];
    for (size_t i = 0; i < f.acc[s].size(); ++i) {
      store::SampleRecord x;
      x.doc_id = subject + "/" + std::to_string(i);
      x.prompt_hash = "h" + subject + std::to_string(i);
      x.request_json = nlohmann::json{{"context", "Question?"}}.dump();
      x.output_json = nlohmann::json{{"pred", "A"}}.dump();
      x.target = "A";
      x.scores_json = nlohmann::json{{"acc", f.acc[s][i]}}.dump();
      x.extra_json = nlohmann::json{{"subject", subject}, {"category", category}}.dump();
      samples.push_back(x);
      by_category[category].push_back(f.acc[s][i]);
      all.push_back(f.acc[s][i]);
    }
    auto [m, se] = mean_se(f.acc[s]);
    macro += m / static_cast<double>(f.subjects.size());
    metrics.push_back({"acc/" + subject, m, se, static_cast<int64_t>(f.acc[s].size()), false});
  }
  for (const auto& [category, xs] : by_category) {
    auto [m, se] = mean_se(xs);
    metrics.push_back({"acc/" + category, m, se, static_cast<int64_t>(xs.size()), false});
  }
  auto [m, se] = mean_se(all);
  metrics.push_back({"acc", m, se, static_cast<int64_t>(all.size()), true});
  metrics.push_back({"acc_macro", macro, std::nullopt, static_cast<int64_t>(all.size()), false});
  st.append_samples(id, samples);
  st.set_metrics(id, metrics);
  st.finish_run(id, "done", f.wall_s, f.tokens, "");
  return id;
}

int run_cmd(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  if (rc == -1 || !WIFEXITED(rc)) return -1;
  return WEXITSTATUS(rc);
}

std::string yardstick_bin() { return std::string(YS_BINARY_DIR) + "/bin/yardstick"; }

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace ys::test
