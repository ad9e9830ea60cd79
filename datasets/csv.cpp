// RFC-4180 CSV reader (see csv.h).
#include "datasets/csv.h"

#include "common/error.h"

#include <fstream>
#include <sstream>

namespace ys::datasets {

namespace {

std::string translate_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

class CsvParser {
 public:
  CsvParser(std::string_view text, const std::string& source) : t_(text), source_(source) {}

  // Parses one record starting at pos_; returns false at end of input.
  bool next(CsvRecord& rec) {
    if (pos_ >= t_.size()) return false;
    rec.fields.clear();
    rec.line = line_;
    if (at_record_end()) return true;  // a blank line: a record with no fields
    while (true) {
      std::string field;
      if (pos_ >= t_.size()) {  // "a,b," at the end of the input: one more empty field
        rec.fields.push_back(std::move(field));
        return true;
      }
      bool end_of_record = (t_[pos_] == '"') ? quoted(field, rec.line) : unquoted(field);
      rec.fields.push_back(std::move(field));
      if (end_of_record) return true;
    }
  }

 private:
  // Consumes a record terminator at pos_ if present; returns true if one (or EOF) was found.
  bool at_record_end() {
    if (pos_ >= t_.size()) return true;
    if (t_[pos_] == '\n') {
      ++pos_;
      ++line_;
      return true;
    }
    if (t_[pos_] == '\r') {
      ++pos_;
      if (pos_ < t_.size() && t_[pos_] == '\n') ++pos_;
      ++line_;
      return true;
    }
    return false;
  }

  // Reads an unquoted field; returns true if the record ended after it.
  bool unquoted(std::string& field) {
    while (pos_ < t_.size() && t_[pos_] != ',' && t_[pos_] != '\n' && t_[pos_] != '\r') field.push_back(t_[pos_++]);
    if (at_record_end()) return true;
    ++pos_;  // ','
    return false;
  }

  bool quoted(std::string& field, size_t record_line) {
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= t_.size())
        fail(ErrorKind::format, "{}: line {}: quoted field not terminated before end of file", source_, record_line);
      char c = t_[pos_++];
      if (c == '"') {
        if (pos_ < t_.size() && t_[pos_] == '"') {
          field.push_back('"');
          ++pos_;
          continue;
        }
        break;
      }
      if (c == '\n' || (c == '\r' && !(pos_ < t_.size() && t_[pos_] == '\n'))) ++line_;
      field.push_back(c);
    }
    if (at_record_end()) return true;
    if (t_[pos_] != ',')
      fail(ErrorKind::format, "{}: line {}: expected ',' or end of line after a closing quote, found '{}'", source_,
           line_, t_[pos_]);
    ++pos_;
    return false;
  }

  std::string_view t_;
  const std::string& source_;
  size_t pos_ = 0;
  size_t line_ = 1;
};

}  // namespace

std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& source, const CsvOptions& options) {
  std::string translated;
  if (options.universal_newlines) {
    translated = translate_newlines(text);
    text = translated;
  }
  std::vector<CsvRecord> out;
  CsvParser parser(text, source);
  CsvRecord rec;
  while (parser.next(rec)) {
    if (options.skip_empty_lines && rec.fields.empty()) continue;
    out.push_back(rec);
  }
  return out;
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::io, "cannot open {}", path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) fail(ErrorKind::io, "cannot read {}", path.string());
  return ss.str();
}

std::vector<CsvRecord> read_csv_file(const std::filesystem::path& path, const CsvOptions& options) {
  return parse_csv(read_text_file(path), path.string(), options);
}

}  // namespace ys::datasets
