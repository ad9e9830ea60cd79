// Reading the pieces of lm-eval's output files (lmeval.h): typed access to optional keys
// and one parsed line of a samples_<task>_<date>.jsonl file. lm-eval writes some numbers
// as strings (e.g. "-1.25", "True") depending on its version; both forms are accepted.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ys::reports::lmeval {

// obj[key] when obj is an object and the value has the type; else "" / {}.
std::string opt_string(const nlohmann::json& obj, const std::string& key);
nlohmann::json opt_object(const nlohmann::json& obj, const std::string& key);

struct SampleLine {
  std::string where;  // "file:line" for errors
  std::string task;
  int64_t doc_id = 0;
  std::vector<std::pair<std::string, nlohmann::json>> args;  // per request: (context, second argument)
  nlohmann::json resps, filtered_resps, target;
  std::string filter = "none";
  std::vector<std::pair<std::string, double>> metrics;  // the names in "metrics" with their values
  std::string doc_hash, prompt_hash, target_hash;
};

// Parses one JSON line; ys::Error(format) naming `where` and the key on anything unexpected.
SampleLine parse_sample_line(const std::string& line, const std::string& task, const std::string& where);

// Request k of a loglikelihood sample: (loglikelihood, is_greedy) from filtered_resps[k]
// (a [ll, greedy] pair).
std::pair<double, bool> loglikelihood_pair(const nlohmann::json& filtered_resps, size_t k, const std::string& where);
// The generation of a generate_until sample: resps[0][0].
std::string generated_text(const nlohmann::json& resps, const std::string& where);
// A filter's output: filtered_resps[0] (or filtered_resps itself when it is a string).
std::string filtered_text(const nlohmann::json& filtered_resps, const std::string& where);

// The leaf tasks of a group, following "group_subtasks" recursively (at most 8 levels).
void group_leaves(const nlohmann::json& results, const std::string& group, std::set<std::string>& out, int depth = 0);

// The model a results file names: model_args' pretrained (+ "/" + gguf_file), else
// model_name, else "lm-eval".
std::string model_path(const nlohmann::json& config, const nlohmann::json& results);

}  // namespace ys::reports::lmeval
