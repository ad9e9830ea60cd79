// datasets/mmlu: subject table, categories, CSV row validation, real files when present.
#include "datasets/mmlu.h"

#include "common/error.h"
#include "tests/mmlu/test_data.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

using namespace ys::datasets;

TEST_CASE("mmlu data: 57 subjects in alphabetical order, lm-eval categories") {
  const auto& s = mmlu_subjects();
  REQUIRE(s.size() == 57);
  CHECK(std::is_sorted(s.begin(), s.end()));
  CHECK(s.front() == "abstract_algebra");
  CHECK(s.back() == "world_religions");
  std::map<std::string, int> counts;
  for (const auto& x : s) counts[mmlu_category(x)]++;
  CHECK(counts["stem"] == 19);
  CHECK(counts["humanities"] == 13);
  CHECK(counts["social_sciences"] == 12);
  CHECK(counts["other"] == 13);
  // Spot checks where other MMLU groupings (simple-evals) differ from lm-eval.
  CHECK(mmlu_category("anatomy") == "stem");
  CHECK(mmlu_category("human_sexuality") == "social_sciences");
  CHECK(mmlu_category("medical_genetics") == "other");
  CHECK(mmlu_category("econometrics") == "social_sciences");
  CHECK(mmlu_category("professional_law") == "humanities");
  CHECK(mmlu_rel_path("anatomy", "dev") == "mmlu/dev/anatomy_dev.csv");
}

TEST_CASE("mmlu data: unknown subject suggests the closest") {
  try {
    require_mmlu_subject("anatomyy");
    FAIL("expected an error");
  } catch (const ys::Error& e) {
    CHECK(e.kind() == ys::ErrorKind::invalid_input);
    CHECK_THAT(e.what(), Catch::Contains("did you mean 'anatomy'"));
  }
}

TEST_CASE("mmlu data: rows are validated") {
  auto rows = parse_mmlu_csv("\"Q, one?\",a,b,c,d,C\nQ2,1,2,3,4,A\n", "x.csv");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].question == "Q, one?");
  CHECK(rows[0].choices[3] == "d");
  CHECK(rows[0].answer == 2);
  CHECK(rows[1].answer == 0);
  CHECK_THROWS_WITH(parse_mmlu_csv("q,a,b,c,d\n", "x.csv"), Catch::Contains("x.csv: line 1") &&
                                                               Catch::Contains("expected 6 fields"));
  CHECK_THROWS_WITH(parse_mmlu_csv("q,a,b,c,d,A\nq,a,b,c,d,E\n", "x.csv"),
                    Catch::Contains("line 2") && Catch::Contains("A, B, C, D"));
}

TEST_CASE("mmlu data: the shared files load with the published counts") {
  auto dir = ys::testing::shared_data_dir();
  if (!dir) {
    WARN("shared datasets not found (set YARDSTICK_SHARED_DATA); skipping");
    return;
  }
  size_t test = 0, dev = 0;
  for (const auto& s : mmlu_subjects()) {
    test += load_mmlu_split(*dir, s, "test").rows.size();
    dev += load_mmlu_split(*dir, s, "dev").rows.size();
  }
  CHECK(test == 14042);
  CHECK(dev == 285);
  auto cm = load_mmlu_split(*dir, "college_mathematics", "dev");
  CHECK(cm.sha256.size() == 64);
  // A quoted CRLF inside a field stays "\r\n", as in cais/mmlu (docs/protocols.md, "MMLU line
  // breaks"); record terminators are not part of any field.
  CHECK(cm.rows[2].question.find("?\r\nI. All") != std::string::npos);
  CHECK(std::count(cm.rows[2].question.begin(), cm.rows[2].question.end(), '\r') == 3);
  size_t crs = 0;
  for (const auto& s : mmlu_subjects()) {
    for (const char* split : {"test", "dev"}) {
      const auto sp = load_mmlu_split(*dir, s, split);
      for (const auto& r : sp.rows) {
        crs += std::count(r.question.begin(), r.question.end(), '\r');
        for (const auto& c : r.choices) crs += std::count(c.begin(), c.end(), '\r');
      }
    }
  }
  CHECK(crs == 3);  // only college_mathematics dev row 2, although 18 test files end records with "\r\n"
  CHECK_THROWS_AS(load_mmlu_split(*dir, "anatomy", "train"), ys::Error);
}
