// datasets/csv: RFC-4180 records, Python-compatible newline handling, errors naming file+line.
#include "datasets/csv.h"

#include "common/error.h"

#include <catch2/catch.hpp>

using ys::datasets::CsvOptions;
using ys::datasets::parse_csv;

namespace {
std::vector<std::vector<std::string>> fields(const std::string& text, const CsvOptions& o = {}) {
  std::vector<std::vector<std::string>> out;
  for (auto& r : parse_csv(text, "t.csv", o)) out.push_back(r.fields);
  return out;
}
using Rows = std::vector<std::vector<std::string>>;
}  // namespace

TEST_CASE("csv: plain and quoted fields") {
  CHECK(fields("a,b,c\n1,2,3\n") == Rows{{"a", "b", "c"}, {"1", "2", "3"}});
  CHECK(fields("\"x, y\",\"say \"\"hi\"\"\",z") == Rows{{"x, y", "say \"hi\"", "z"}});
  CHECK(fields("\"two\nlines\",b\nc,d") == Rows{{"two\nlines", "b"}, {"c", "d"}});
  CHECK(fields("a,,\n") == Rows{{"a", "", ""}});
  CHECK(fields("a,") == Rows{{"a", ""}});
  CHECK(fields("\"\",x\n") == Rows{{"", "x"}});
  // A quote inside an unquoted field is literal (Python csv does the same).
  CHECK(fields("5\" tall,b\n") == Rows{{"5\" tall", "b"}});
}

TEST_CASE("csv: line endings and blank lines") {
  CHECK(fields("a,b\r\nc,d\r\n") == Rows{{"a", "b"}, {"c", "d"}});
  CHECK(fields("a\rb\n") == Rows{{"a"}, {"b"}});
  // Universal newlines (default): a quoted CRLF reads as "\n", like Python's text mode.
  CHECK(fields("\"x\r\ny\",z\r\n") == Rows{{"x\ny", "z"}});
  CsvOptions raw;
  raw.universal_newlines = false;
  CHECK(fields("\"x\r\ny\",z\r\n", raw) == Rows{{"x\r\ny", "z"}});
  CHECK(fields("a\n\nb\n") == Rows{{"a"}, {"b"}});
  CsvOptions keep;
  keep.skip_empty_lines = false;
  CHECK(fields("a\n\nb\n", keep) == Rows{{"a"}, {}, {"b"}});
}

TEST_CASE("csv: record line numbers count quoted line breaks") {
  auto recs = parse_csv("a\n\"b\nc\nd\",e\nf\n", "t.csv");
  REQUIRE(recs.size() == 3);
  CHECK(recs[0].line == 1);
  CHECK(recs[1].line == 2);
  CHECK(recs[2].line == 5);
}

TEST_CASE("csv: malformed input names the file and line") {
  try {
    parse_csv("ok\n\"x\"y,z\n", "bad.csv");
    FAIL("expected an error");
  } catch (const ys::Error& e) {
    CHECK(e.kind() == ys::ErrorKind::format);
    CHECK_THAT(e.what(), Catch::Contains("bad.csv") && Catch::Contains("line 2"));
  }
  try {
    parse_csv("a\nb\n\"never closed\n", "open.csv");
    FAIL("expected an error");
  } catch (const ys::Error& e) {
    CHECK_THAT(e.what(), Catch::Contains("open.csv") && Catch::Contains("line 3") && Catch::Contains("not terminated"));
  }
}
