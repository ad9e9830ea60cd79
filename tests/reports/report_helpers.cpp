#include "tests/reports/report_helpers.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
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
