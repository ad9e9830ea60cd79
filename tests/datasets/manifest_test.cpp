// The dataset manifest: the facts in the datasets' SOURCE.md, agreement with
// datasets/manifest.json, and row counts recounted here from the raw files.
#include "datasets/manifest.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;
using namespace ys::datasets;

namespace {

int64_t rows_under(const std::string& prefix) {
  int64_t n = 0;
  for (const auto& e : manifest())
    if (e.path.rfind(prefix, 0) == 0) n += e.rows;
  return n;
}

int files_under(const std::string& prefix) {
  int n = 0;
  for (const auto& e : manifest()) n += e.path.rfind(prefix, 0) == 0;
  return n;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string gunzip(const fs::path& p) {
  gzFile f = gzopen(p.c_str(), "rb");
  REQUIRE(f != nullptr);
  std::string out;
  char buf[65536];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

// CSV records as Python's csv module reads them: a quote opens a quoted field only at the
// start of a field ("" inside it is a literal quote), and a newline inside a quoted field
// does not end the record. A quote in the middle of an unquoted field is a plain character.
int64_t count_csv_records(const std::string& s) {
  int64_t n = 0;
  bool quoted = false, field_start = true, in_record = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        ++i;
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"' && field_start) {
      quoted = true;
      field_start = false;
      in_record = true;
    } else if (c == '\n') {
      n += in_record;
      in_record = false;
      field_start = true;
    } else if (c != '\r') {
      in_record = true;
      field_start = c == ',';
    }
  }
  return n + in_record;
}

int64_t count_lines(const std::string& s) {
  if (s.empty()) return 0;
  int64_t n = std::count(s.begin(), s.end(), '\n');
  return s.back() == '\n' ? n : n + 1;
}

}  // namespace

fs::path shared_datasets() {
  const char* v = std::getenv("YARDSTICK_SHARED_DATA");
  return (v && *v) ? fs::path(v) : fs::path(YS_SOURCE_DIR) / ".." / "shared" / "datasets";
}

TEST_CASE("manifest counts match the facts in the SOURCE.md files") {
  CHECK(manifest().size() == 195);
  CHECK(files_under("mmlu/test/") == 57);
  CHECK(files_under("mmlu/dev/") == 57);
  CHECK(files_under("mmlu/val/") == 57);
  CHECK(rows_under("mmlu/test/") == 14042);
  CHECK(rows_under("mmlu/dev/") == 285);
  CHECK(rows_under("mmlu/val/") == 1531);
  REQUIRE(find_entry("mmlu/test/professional_accounting_test.csv"));
  CHECK(find_entry("mmlu/test/professional_accounting_test.csv")->rows == 282);
  CHECK(find_entry("mmlu/val/professional_accounting_val.csv")->rows == 31);
  CHECK(find_entry("gsm8k/test.jsonl")->rows == 1319);
  CHECK(find_entry("gsm8k/test.jsonl")->bytes == 749738);
  CHECK(find_entry("gsm8k/test.jsonl")->sha256 == "3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14");
  CHECK(find_entry("gsm8k/train.jsonl")->rows == 7473);
  CHECK(find_entry("humaneval/HumanEval.jsonl.gz")->rows == 164);
  CHECK(find_entry("humaneval/HumanEval.jsonl.gz")->sha256 ==
        "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef");
  CHECK(find_entry("humaneval/HumanEvalPlus.jsonl.gz")->rows == 164);
  CHECK(find_entry("wmt/wmt14-full/en-fr/ref.fr")->rows == 3003);
  CHECK(find_entry("wmt/wmt14-full/en-fr/ref.fr")->sha256 ==
        "9ed99a750c7818b7bbc62230ed0b1a1673325989bdcf9f81a7d7e67bde8ca473");
  CHECK(find_entry("wmt/wmt16/ro-en/src.ro")->rows == 1999);
  CHECK(find_entry("wmt/wmt22/zh-en/ref.en")->rows == 1875);
  CHECK(find_entry("wmt/wmt22/de-en/src.de")->rows == 1984);
  CHECK(find_entry("wmt/wmt22/en-zh/ref.zh")->rows == 2037);
  CHECK(find_entry("mmlu/test/no_such_subject_test.csv") == nullptr);
  CHECK(find_entry("") == nullptr);
}

TEST_CASE("manifest entries are sorted and unique and well-formed") {
  const std::regex hex("[0-9a-f]{64}");
  const auto& m = manifest();
  for (size_t i = 0; i < m.size(); ++i) {
    INFO(m[i].path);
    if (i > 0) CHECK(m[i - 1].path < m[i].path);
    CHECK(std::regex_match(m[i].sha256, hex));
    CHECK(m[i].rows > 0);
    CHECK(m[i].bytes > 0);
    CHECK(m[i].path.rfind(m[i].benchmark + "/", 0) == 0);
    CHECK(m[i].path.find("..") == std::string::npos);
    CHECK(find_entry(m[i].path) == &m[i]);
  }
}

TEST_CASE("the compiled table agrees with datasets/manifest.json") {
  auto j = nlohmann::json::parse(read_file(fs::path(YS_SOURCE_DIR) / "datasets" / "manifest.json"));
  REQUIRE(j["version"] == 1);
  REQUIRE(j["files"].size() == manifest().size());
  for (const auto& f : j["files"]) {
    const ManifestEntry* e = find_entry(f["path"].get<std::string>());
    REQUIRE(e);
    CHECK(e->sha256 == f["sha256"].get<std::string>());
    CHECK(e->rows == f["rows"].get<int64_t>());
    CHECK(e->bytes == f["bytes"].get<int64_t>());
    CHECK(e->benchmark == f["benchmark"].get<std::string>());
  }
}

TEST_CASE("row counts recounted from the raw files (independent of the Python generator)") {
  fs::path src = shared_datasets();
  if (!fs::is_directory(src)) {
    WARN("shared datasets not found at " << src << " (set YARDSTICK_SHARED_DATA); skipping");
    return;
  }
  std::map<std::string, int64_t> mmlu_by_split;
  for (const auto& e : manifest()) {
    INFO(e.path);
    fs::path p = src / e.path;
    REQUIRE(fs::exists(p));
    CHECK(static_cast<int64_t>(fs::file_size(p)) == e.bytes);
    std::string data = e.path.ends_with(".gz") ? gunzip(p) : read_file(p);
    int64_t rows = e.path.ends_with(".csv") ? count_csv_records(data) : count_lines(data);
    CHECK(rows == e.rows);
    if (e.path.ends_with(".csv")) {
      CHECK(count_lines(data) >= rows);  // quoted newlines make `wc -l` overcount
      mmlu_by_split[e.path.substr(0, e.path.find('/', 5))] += rows;
    }
  }
  CHECK(mmlu_by_split["mmlu/test"] == 14042);
  CHECK(count_csv_records("a,\"b\nc\",d\n1,2,3") == 2);
  CHECK(count_csv_records("a,\"say \"\"hi\"\"\n\",c\r\n") == 1);
  CHECK(count_csv_records("a 5\" tall,b\nc,d\n") == 2);  // a stray quote mid-field is literal
}
