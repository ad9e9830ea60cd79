// Suites described by a JSON spec file (docs/spec-suites.md): `yardstick run --suite
// path/to/spec.json` evaluates a data set of one's own without rebuilding, stored and
// compared like the built-in suites (the spec's and the data files' sha256 recorded).
//
// A spec names its data (JSONL or CSV files), lm-eval-style prompt templates (Jinja, as
// lm-eval renders doc_to_text: StrictUndefined, trailing newlines kept), the few-shot rule
// (first_n, or seeded random sampling with CPython's generator, as lm-eval), the request
// (multiple-choice log-likelihoods, or generation until stop strings), answer extraction
// (regex filters, as lm-eval's RegexFilter) and metrics (acc, acc_norm, exact_match,
// bleu, chrf, pass_at_k). Loading is strict: unknown and duplicate keys, wrong types and
// bad values are errors naming the file, the key path and its line.
#pragma once

#include "suites/suite.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ys::suites {

struct SpecData {
  std::string name;                  // the key under "data", e.g. "test", "train"
  std::filesystem::path path;        // resolved
  std::string shown_path;            // as written in the spec (provenance key)
  std::string format;                // jsonl | csv
  bool header = true;                // csv: first record names the columns
  std::vector<std::string> columns;  // csv without header
  std::string sha256;                // expected (optional)
};

struct SpecFilter {
  std::string name, regex, fallback = "[invalid]";
  int group_select = 0;
};

struct SpecMetric {
  std::string metric;   // acc | acc_norm | exact_match | bleu | chrf | pass_at_k
  std::string filter;   // "" = the raw output
  bool ignore_case = false, ignore_punctuation = false;
  std::vector<std::string> regexes_to_ignore;
  std::vector<int> k;   // pass_at_k
  std::string program;  // pass_at_k: Jinja template over the document and "completion"
  double timeout_s = 3.0;
  std::string key() const { return filter.empty() ? metric : metric + "," + filter; }
};

struct Spec {
  std::filesystem::path file;
  std::string sha256;             // of the spec file's bytes
  nlohmann::ordered_json source;  // the spec as written
  std::string name, version, about;
  std::map<std::string, SpecData> data;
  std::string test_split = "test";
  // prompt (Jinja templates over a document's fields)
  std::string description, doc_to_text, doc_to_target;
  std::string target_delimiter = " ", fewshot_delimiter = "\n\n";
  // few-shot
  int num_fewshot = 0;
  std::string fewshot_split;               // a key of data, or "" with inline samples
  std::string sampler = "first_n";         // first_n | random
  uint64_t seed = 1234;
  nlohmann::ordered_json fewshot_samples;  // inline documents (array) or null
  std::optional<std::string> fewshot_doc_to_text, fewshot_doc_to_target;
  // request
  std::string kind;                        // generate | multiple_choice
  std::vector<std::string> until;
  int max_tokens = 256;
  std::vector<std::string> choices;        // templates, one per choice
  std::string choices_field;               // or a field holding the list
  std::string gold;                        // template: index or choice text
  std::string target;                      // generate: the reference template
  std::vector<SpecFilter> filters;
  std::vector<SpecMetric> metrics;
};

// Reads and validates a spec. Relative data paths resolve against the spec's folder, or
// against `data_dir` for entries with "root": "data_dir". Throws ys::Error.
Spec load_spec(const std::filesystem::path& file, const std::filesystem::path& data_dir);

// True when a --suite value names a spec file rather than a built-in suite.
bool is_spec_path(const std::string& suite);
std::unique_ptr<Task> make_spec_task(const std::string& path, const TaskOptions& options);

}  // namespace ys::suites
