// HumanEval (openai/human-eval data/HumanEval.jsonl.gz) and HumanEval+ (evalplus
// HumanEvalPlus.jsonl.gz, v0.1.10) loaders.
//
// Format: gzip-compressed JSONL, one problem per line with string fields task_id,
// prompt, canonical_solution, test, entry_point. HumanEval+ adds contract (input
// assertions), base_input / plus_input (lists of argument lists, JSON) and atol. Its
// "test" field is the original HumanEval check(), it does NOT embed the extra inputs:
// evalplus runs the canonical solution on every input for the expected output and
// compares the candidate's output to it (exact, or allclose with atol for floats).
// suites/humaneval/plus_program.h builds that comparison as one self-checking program.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ys::datasets {

struct HumanEvalProblem {
  std::string task_id;             // "HumanEval/0"
  std::string prompt;              // signature + docstring, the model's context
  std::string canonical_solution;  // the reference body
  std::string test;                // defines check(candidate)
  std::string entry_point;         // the function name passed to check
  // HumanEval+ only (empty otherwise):
  std::string contract;            // input-validity asserts
  std::string base_input_json;     // JSON array of argument lists
  std::string plus_input_json;     // JSON array of argument lists (the extra inputs)
  double atol = 0;
};

inline constexpr const char* kHumanEvalPath = "humaneval/HumanEval.jsonl.gz";
inline constexpr const char* kHumanEvalPlusPath = "humaneval/HumanEvalPlus.jsonl.gz";

// Decompresses a gzip file, at most max_bytes of output. Throws ys::Error(io|format).
std::string gunzip_file(const std::filesystem::path& path, size_t max_bytes = size_t{256} << 20);

// Parses JSONL text; `source` names the file in errors (with the line number). Lines
// longer than 16 MiB, missing/mistyped fields and duplicate task ids are errors.
std::vector<HumanEvalProblem> parse_humaneval_jsonl(const std::string& text, const std::string& source,
                                                    bool plus);

// Loads data_dir/humaneval/HumanEval.jsonl.gz after checking it against the manifest
// (datasets/manifest.h require_file); `sha256` receives the verified hash.
std::vector<HumanEvalProblem> load_humaneval(const std::filesystem::path& data_dir, std::string* sha256 = nullptr);
// The same for HumanEvalPlus.jsonl.gz; nullopt when the file is absent.
std::optional<std::vector<HumanEvalProblem>> load_humaneval_plus(const std::filesystem::path& data_dir,
                                                                 std::string* sha256 = nullptr);

}  // namespace ys::datasets
