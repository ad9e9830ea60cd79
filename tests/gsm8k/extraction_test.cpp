// suites/metrics/extraction and the GSM8K filters against Python `re` results
// (tests/fixtures/lm/extraction.json from tools/gen_lm_fixtures.py) and hand-checked cases.
#include "suites/gsm8k/gsm8k_scoring.h"
#include "suites/metrics/extraction.h"

#include "common/error.h"
#include "tests/mmlu/test_data.h"

#include <catch2/catch.hpp>

using namespace ys::metrics;
using namespace ys::suites;

TEST_CASE("extraction: findall and sub follow Python re") {
  auto fx = ys::testing::lm_fixture("extraction.json");
  for (const auto& g : fx["generic"]) {
    PyRegex re(g["pattern"].get<std::string>());
    const std::string text = g["text"].get<std::string>();
    INFO("pattern " << re.pattern() << " text " << text);
    CHECK(re.findall(text) == g["findall"].get<std::vector<std::vector<std::string>>>());
    CHECK(re.sub("", text) == g["sub_empty"].get<std::string>());
    CHECK(re.sub("-", text) == g["sub_dash"].get<std::string>());
  }
}

TEST_CASE("extraction: hand-checked Python semantics") {
  CHECK(PyRegex("x*").sub("-", "abxd") == "-a-b--d-");
  CHECK(PyRegex("\\.$").sub("", "12.\n") == "12\n");  // $ also matches before a final newline
  CHECK(PyRegex("(a)|(b)").findall("ab") == std::vector<std::vector<std::string>>{{"a", ""}, {"", "b"}});
  CHECK_THROWS_WITH(PyRegex("(unclosed"), Catch::Contains("(unclosed"));
}

TEST_CASE("extraction: py_strip and split('####')[-1].strip()") {
  auto fx = ys::testing::lm_fixture("extraction.json");
  for (const auto& s : fx["strip"]) CHECK(py_strip(s["text"].get<std::string>()) == s["strip"].get<std::string>());
  for (const auto& f : fx["final_answer"])
    CHECK(gsm8k_final_answer(f["answer"].get<std::string>()) == f["final"].get<std::string>());
}

TEST_CASE("extraction: GSM8K filters and normalisation match Python on tricky outputs") {
  auto fx = ys::testing::lm_fixture("extraction.json");
  Gsm8kScorer plain(kGsm8kStrictPattern), cot(kGsm8kCotStrictPattern);
  for (const auto& row : fx["outputs"]) {
    const std::string text = row["text"].get<std::string>();
    INFO("output: " << text);
    CHECK(plain.strict(text) == row["strict"].get<std::string>());
    CHECK(cot.strict(text) == row["cot_strict"].get<std::string>());
    CHECK(plain.flexible(text) == row["flexible"].get<std::string>());
    CHECK(cot.flexible(text) == row["flexible"].get<std::string>());
    CHECK(plain.normalize(text) == row["normalized"].get<std::string>());
  }
  for (const auto& p : fx["exact_match"]) {
    INFO(p["prediction"] << " vs " << p["reference"]);
    CHECK(plain.exact_match(p["prediction"].get<std::string>(), p["reference"].get<std::string>()) ==
          p["exact_match"].get<double>());
  }
}

TEST_CASE("extraction: GSM8K table written by hand") {
  Gsm8kScorer s(kGsm8kStrictPattern);
  CHECK(s.strict("so\n#### 1,234") == "1,234");
  CHECK(s.strict("#### 3\n#### 4") == "3");                  // first match
  CHECK(s.flexible("#### 3\n#### 4") == "4");                // last match
  CHECK(s.strict("no marker 5") == "[invalid]");
  CHECK(s.flexible("no numbers at all") == "[invalid]");
  CHECK(s.flexible("it costs $12.") == "$12.");
  CHECK(s.flexible("down to -15 degrees") == "-15");
  CHECK(s.flexible("only 7") == "7");                         // second alternative
  CHECK(s.exact_match("$12.", "Total\n#### 12") == 1.0);
  CHECK(s.exact_match("1,234", "#### 1234") == 1.0);
  CHECK(s.exact_match("-15", "#### 15") == 0.0);
  CHECK(s.exact_match("[invalid]", "#### 5") == 0.0);
  CHECK(s.normalize("A\n#### B #### 7.") == "7");              // greedy (?s).* up to the last "#### "
  Gsm8kScorer c(kGsm8kCotStrictPattern);
  CHECK(c.strict("So 5 + 4 = 9. The answer is 9.") == "9");
  CHECK(c.strict("The answer is 9") == "[invalid]");            // the trailing '.' needs a character
}
