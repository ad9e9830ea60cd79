#include "datasets/humaneval.h"

#include "common/error.h"
#include "datasets/manifest.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <map>
#include <set>

namespace ys::datasets {
namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxLine = size_t{16} << 20;

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};

std::string str_field(const nlohmann::json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string())
    fail(ErrorKind::format, "{}: field \"{}\" is missing or not a string", where, key);
  return it->get<std::string>();
}

// The raw text of each top-level value of a JSON object line (the object must already
// have parsed). Keeps numbers exactly: nlohmann turns integers beyond 64 bits into
// doubles, and HumanEval+ inputs hold such integers.
std::map<std::string, std::string> raw_values(const std::string& line) {
  std::map<std::string, std::string> out;
  size_t i = line.find('{') + 1;
  int depth = 0;
  bool in_str = false;
  std::string key;
  size_t key_start = 0, value_start = std::string::npos;
  for (; i < line.size(); ++i) {
    char ch = line[i];
    if (in_str) {
      if (ch == '\\') ++i;
      else if (ch == '"') {
        in_str = false;
        if (depth == 0 && value_start == std::string::npos) key = line.substr(key_start, i - key_start);
      }
      continue;
    }
    if (ch == '"') {
      in_str = true;
      if (depth == 0 && value_start == std::string::npos) key_start = i + 1;
    } else if (ch == ':' && depth == 0) {
      value_start = i + 1;
    } else if (ch == '[' || ch == '{') {
      ++depth;
    } else if ((ch == ']' || ch == '}') && depth > 0) {
      --depth;
    } else if ((ch == ',' || ch == '}') && depth == 0 && value_start != std::string::npos) {
      out[key] = line.substr(value_start, i - value_start);
      value_start = std::string::npos;
    }
  }
  return out;
}

HumanEvalProblem parse_problem(const std::string& line, const std::string& where, bool plus) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::exception& e) {
    fail(ErrorKind::format, "{}: not valid JSON ({})", where, e.what());
  }
  if (!j.is_object()) fail(ErrorKind::format, "{}: expected a JSON object", where);
  HumanEvalProblem p;
  p.task_id = str_field(j, "task_id", where);
  p.prompt = str_field(j, "prompt", where);
  p.canonical_solution = str_field(j, "canonical_solution", where);
  p.test = str_field(j, "test", where);
  p.entry_point = str_field(j, "entry_point", where);
  if (p.entry_point.empty() || p.entry_point.find_first_not_of(
                                   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") !=
                                   std::string::npos)
    fail(ErrorKind::format, "{}: entry_point \"{}\" is not a Python identifier", where, p.entry_point);
  if (plus) {
    p.contract = str_field(j, "contract", where);
    for (const char* k : {"base_input", "plus_input"}) {
      auto it = j.find(k);
      if (it == j.end() || !it->is_array()) fail(ErrorKind::format, "{}: field \"{}\" is not an array", where, k);
    }
    auto raw = raw_values(line);
    p.base_input_json = raw["base_input"];
    p.plus_input_json = raw["plus_input"];
    auto at = j.find("atol");
    if (at == j.end() || !at->is_number()) fail(ErrorKind::format, "{}: field \"atol\" is not a number", where);
    p.atol = at->get<double>();
  }
  return p;
}

}  // namespace

std::string gunzip_file(const fs::path& path, size_t max_bytes) {
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  if (!f) fail(ErrorKind::io, "{}: cannot open for reading", path.string());
  std::string out;
  char buf[65536];
  for (;;) {
    int n = gzread(f.get(), buf, sizeof buf);
    if (n < 0) {
      int code = 0;
      const char* msg = gzerror(f.get(), &code);
      fail(ErrorKind::format, "{}: gzip data is corrupt ({})", path.string(), msg ? msg : "?");
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes)
      fail(ErrorKind::format, "{}: decompresses to more than {} bytes", path.string(), max_bytes);
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::vector<HumanEvalProblem> parse_humaneval_jsonl(const std::string& text, const std::string& source,
                                                    bool plus) {
  std::vector<HumanEvalProblem> out;
  std::set<std::string> seen;
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    std::string where = source + ":" + std::to_string(line_no);
    if (end - pos > kMaxLine) fail(ErrorKind::format, "{}: line longer than {} bytes", where, kMaxLine);
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto p = parse_problem(line, where, plus);
    if (!seen.insert(p.task_id).second) fail(ErrorKind::format, "{}: duplicate task_id {}", where, p.task_id);
    out.push_back(std::move(p));
  }
  if (out.empty()) fail(ErrorKind::format, "{}: no problems", source);
  return out;
}

std::vector<HumanEvalProblem> load_humaneval(const fs::path& data_dir, std::string* sha256) {
  std::string h = require_file(data_dir, kHumanEvalPath);
  if (sha256) *sha256 = h;
  fs::path file = data_dir / kHumanEvalPath;
  return parse_humaneval_jsonl(gunzip_file(file), file.string(), false);
}

std::optional<std::vector<HumanEvalProblem>> load_humaneval_plus(const fs::path& data_dir, std::string* sha256) {
  fs::path file = data_dir / kHumanEvalPlusPath;
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::nullopt;
  std::string h = require_file(data_dir, kHumanEvalPlusPath);
  if (sha256) *sha256 = h;
  return parse_humaneval_jsonl(gunzip_file(file), file.string(), true);
}

}  // namespace ys::datasets
