// GSM8K (Cobbe et al.) data: <data_dir>/gsm8k/{train,test}.jsonl, one JSON object per
// line with string fields "question" and "answer" (the worked solution ending "#### N").
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ys::datasets {

struct Gsm8kRow {
  std::string question;
  std::string answer;
};

struct Gsm8kSplit {
  std::string split;     // "train" or "test"
  std::string rel_path;  // e.g. "gsm8k/test.jsonl"
  std::string sha256;    // verified against the manifest
  std::vector<Gsm8kRow> rows;  // file order
};

// Verifies the file through the manifest (require_file), then parses it.
Gsm8kSplit load_gsm8k_split(const std::filesystem::path& data_dir, const std::string& split);
// Parses JSONL text (blank lines skipped); errors name `source` and the line.
std::vector<Gsm8kRow> parse_gsm8k_jsonl(std::string_view text, const std::string& source);

}  // namespace ys::datasets
