// RFC-4180 CSV reader (Python csv.reader's default "excel" dialect on valid input).
//
// Fields are separated by ',' and records by "\r\n", "\n" or "\r". A field that starts
// with '"' is quoted: it may contain ',', line breaks and doubled quotes ("" -> ").
// Inside an unquoted field a '"' is an ordinary character (as Python reads it).
// Errors (ys::Error(format)) name the file and the 1-based line where the record began:
// text after a closing quote other than a separator, and an unterminated quoted field.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace ys::datasets {

struct CsvOptions {
  // Translate "\r\n" and lone "\r" to "\n" first, like Python's open() in text mode
  // (universal newlines), so quoted line breaks read as "\n".
  bool universal_newlines = true;
  // Skip blank lines (Python yields them as records with no fields; pandas skips them).
  bool skip_empty_lines = true;
};

struct CsvRecord {
  std::vector<std::string> fields;
  size_t line = 0;  // 1-based line where the record starts
};

// Parses CSV text; `source` names the file in error messages.
std::vector<CsvRecord> parse_csv(std::string_view text, const std::string& source, const CsvOptions& options = {});
// Reads and parses a file. Throws ys::Error(io) if it cannot be read.
std::vector<CsvRecord> read_csv_file(const std::filesystem::path& path, const CsvOptions& options = {});

// Reads a whole file into a string. Throws ys::Error(io) naming the file.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace ys::datasets
