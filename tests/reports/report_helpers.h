// Builders for small result stores used by the reports tests.
#pragma once

#include "runner/store/store.h"

#include <filesystem>
#include <string>
#include <vector>

namespace ys::test {

// A fresh temporary directory, removed by the destructor.
struct TempDir {
  std::filesystem::path path;
  TempDir();
  ~TempDir();
};

struct FakeRun {
  std::string suite = "mmlu";
  std::string protocol_version = "1";
  std::string model = "models/tiny.gguf";
  std::string quant = "q8_0";
  std::string tag;
  std::string settings_json = R"({"threads":4,"device":"cpu","shard":""})";
  std::vector<double> acc;  // per-sample 0/1 "acc"; doc ids "subj/<i>"
  double wall_s = 10;
  int64_t tokens = 1000;
  std::string output_text = "B";
};

// Writes a done run with samples, metrics acc (headline) and acc/subj, returns its id.
std::string add_run(store::Store& st, const FakeRun& r);

// An MMLU-shaped run: documents "<subject>/<i>" with extra {"subject", "category"} and a
// 0/1 "acc" score each; metrics acc (headline, stderr of the mean), acc/<subject>,
// acc/<category>, acc_macro, as the MMLU suite names them.
struct FakeMmluRun {
  std::string quant = "q8_0";
  std::vector<std::pair<std::string, std::string>> subjects;  // subject, category
  std::vector<std::vector<double>> acc;                       // per subject, per document
  double wall_s = 10;
  int64_t tokens = 1000;
  std::string settings_json = R"({"threads":2,"device":"cpu","shard":""})";
};
std::string add_mmlu_run(store::Store& st, const FakeMmluRun& r);

// n scores with `ones` ones first.
std::vector<double> scores(size_t n, size_t ones);

// The datasets folder: $YARDSTICK_SHARED_DATA, else ../shared/datasets beside the source tree.
std::string shared_data();

// The set-up of the end-to-end tests here: the yardstick binary, a synthetic 2-layer llama
// (f32) at `model` and the shared datasets imported into `data`, all in a temporary folder
// `d`; command output appended to `log`. ready is false, with a WARN saying why, when the
// binary is not built or the datasets are absent (the test then returns: skipped, not failed).
struct E2eSetup {
  TempDir dir;
  std::string bin, d, log, model, data;
  bool ready = false;
  E2eSetup();
};

// The run of a store that no --shard made (a whole run, or one folded by --combine-shards).
store::RunRecord unsharded_run(store::Store& st);
// The unsharded run of merged_db equals that of whole_db record for record: settings, dataset,
// protocol, each of the n_docs samples (request, output, target, scores, extra) and each metric.
void check_equal_runs(const std::string& whole_db, const std::string& merged_db, size_t n_docs);

// Runs a command line; returns its exit code (-1 if it did not exit normally).
int run_cmd(const std::string& cmd);
std::string yardstick_bin();
std::string read_file(const std::filesystem::path& p);

}  // namespace ys::test
