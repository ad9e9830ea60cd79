// GSM8K JSONL loading (see gsm8k.h).
#include "datasets/gsm8k.h"

#include "common/error.h"
#include "datasets/csv.h"
#include "datasets/manifest.h"

#include <nlohmann/json.hpp>

namespace ys::datasets {

namespace {

std::string string_field(const nlohmann::json& obj, const char* key, const std::string& source, size_t line) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string())
    fail(ErrorKind::format, "{}: line {}: expected a string field \"{}\"", source, line, key);
  return it->get<std::string>();
}

}  // namespace

std::vector<Gsm8kRow> parse_gsm8k_jsonl(std::string_view text, const std::string& source) {
  std::vector<Gsm8kRow> rows;
  size_t line_no = 0, pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = (nl == std::string_view::npos) ? text.size() : nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    nlohmann::json obj = nlohmann::json::parse(line, nullptr, false);
    if (obj.is_discarded() || !obj.is_object())
      fail(ErrorKind::format, "{}: line {}: not a JSON object", source, line_no);
    rows.push_back({string_field(obj, "question", source, line_no), string_field(obj, "answer", source, line_no)});
  }
  return rows;
}

Gsm8kSplit load_gsm8k_split(const std::filesystem::path& data_dir, const std::string& split) {
  if (split != "train" && split != "test")
    fail(ErrorKind::invalid_input, "unknown GSM8K split '{}' (expected train or test)", split);
  Gsm8kSplit out;
  out.split = split;
  out.rel_path = "gsm8k/" + split + ".jsonl";
  out.sha256 = require_file(data_dir, out.rel_path);
  std::filesystem::path file = data_dir / out.rel_path;
  out.rows = parse_gsm8k_jsonl(read_text_file(file), file.string());
  return out;
}

}  // namespace ys::datasets
