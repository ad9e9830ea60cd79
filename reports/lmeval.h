// lm-evaluation-harness interoperability (docs/lm-eval.md):
//   import  an lm-eval `--output_path DIR --log_samples` directory (results_<date>.json and
//           samples_<task>_<date>.jsonl) becomes runs in the store, one per Yardstick suite
//           (every mmlu_<subject> task folds into one "mmlu" run; gsm8k, gsm8k_cot map to
//           their suites; any other task becomes suite "lm-eval/<task>"). Samples take the
//           shape of Yardstick's own records (doc ids "subject/N" and "test/N", prompt hash =
//           xxh64 of the context, per-choice loglikelihoods, generated text and filter
//           outputs, the same score keys), so `compare` and `compare --flips` pair an imported
//           run with a Yardstick run document by document. lm-eval's version, model
//           arguments and task configs are kept as provenance (settings_json "source":
//           "lm-eval", protocol_json "configs").
//   export  a stored run as lm-eval's results JSON and samples JSONL, so dashboards that read
//           lm-eval output take Yardstick runs.
// Both files are untrusted input: every field is type-checked, errors name the file, line
// and key.
#pragma once

#include "runner/store/store.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ys::reports {

// One lm-eval output: the results file and the samples files written with it.
struct LmEvalOutput {
  std::filesystem::path results_file;
  std::vector<std::filesystem::path> samples_files;  // samples_<task>_<same date>.jsonl
  std::string date_id;                               // the <date> part of the names
};

// Finds the results file under dir (searched recursively, lm-eval writes into
// <output_path>/<model_name_sanitized>/). With several, `results_name` picks one (file name
// or date id); otherwise the newest date id is taken. ys::Error(io) when there is none.
LmEvalOutput find_lmeval_output(const std::filesystem::path& dir, const std::string& results_name = "");

struct LmEvalImportOptions {
  std::string model_sha256;  // of the model file the lm-eval run used, when known (--model-file)
  std::string tag = "lm-eval";
};

struct LmEvalImported {
  std::string run_id;
  std::string suite;
  std::vector<std::string> tasks;  // lm-eval task names folded into this run
  int64_t samples = 0;
};

// Reads an lm-eval output and stores it as finished runs (one transaction of samples per
// run). Returns what was created.
std::vector<LmEvalImported> import_lmeval(store::Store& st, const LmEvalOutput& out, const LmEvalImportOptions& o);

// The Yardstick suite and doc id for an lm-eval task and doc_id: ("mmlu", "anatomy/3"),
// ("gsm8k", "test/7"), or ("lm-eval/<task>", "<task>/<doc_id>"). With the task's config
// (results JSON "configs"), an mmlu_<subject> task must read an MMLU dataset, that subject,
// as multiple choice; without it, lm-eval's other MMLU families (mmlu_pro_*, mmlu_flan_*,
// ...) and the category groups are told apart by name.
std::pair<std::string, std::string> lmeval_doc_key(const std::string& task, int64_t doc_id,
                                                   const nlohmann::json& config = nlohmann::json::object());

// Writes `run_id` as lm-eval output into dir: results_<date>.json and one
// samples_<task>_<date>.jsonl per task; returns the paths written. The run must be done.
std::vector<std::filesystem::path> export_lmeval(store::Store& st, const std::string& run_id,
                                                 const std::filesystem::path& dir);

}  // namespace ys::reports
