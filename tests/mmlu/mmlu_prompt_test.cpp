// MMLU prompts: hand-written expected strings (PROTOCOLS.md §2) and, with the shared data,
// byte equality with the Python rendering in tests/fixtures/lm/mmlu_prompts.json.
#include "suites/mmlu/mmlu.h"

#include "common/error.h"
#include "tests/mmlu/test_data.h"

#include <catch2/catch.hpp>

using namespace ys::suites;
using ys::datasets::MmluRow;

namespace {
MmluRow row(std::string q, std::array<std::string, 4> c, int answer) {
  MmluRow r;
  r.question = std::move(q);
  r.choices = std::move(c);
  r.answer = answer;
  return r;
}
}  // namespace

TEST_CASE("mmlu prompt: description and doc_to_text") {
  CHECK(mmlu_description("high_school_us_history") ==
        "The following are multiple choice questions (with answers) about high school us history.\n\n");
  // Only the question is stripped; choices keep their spaces.
  MmluRow r = row("  What is 2+2?\n", {" 3", "4 ", "five", ""}, 1);
  CHECK(mmlu_doc_to_text(r) == "What is 2+2?\nA.  3\nB. 4 \nC. five\nD. \nAnswer:");
}

TEST_CASE("mmlu prompt: two-shot context by hand") {
  std::vector<MmluRow> shots = {row("Q1?", {"a", "b", "c", "d"}, 0), row(" Q2? ", {"e", "f", "g", "h"}, 3)};
  MmluRow doc = row("Q3?", {"i", "j", "k", "l"}, 2);
  const std::string expected =
      "The following are multiple choice questions (with answers) about abstract algebra.\n"
      "\n"
      "Q1?\nA. a\nB. b\nC. c\nD. d\nAnswer: A\n"
      "\n"
      "Q2?\nA. e\nB. f\nC. g\nD. h\nAnswer: D\n"
      "\n"
      "Q3?\nA. i\nB. j\nC. k\nD. l\nAnswer:";
  CHECK(mmlu_context("abstract_algebra", shots, doc) == expected);
  CHECK(mmlu_context("abstract_algebra", {}, doc) ==
        "The following are multiple choice questions (with answers) about abstract algebra.\n\n"
        "Q3?\nA. i\nB. j\nC. k\nD. l\nAnswer:");
}

TEST_CASE("mmlu prompt: task requests equal the Python rendering") {
  auto dir = ys::testing::shared_data_dir();
  if (!dir) {
    WARN("shared datasets not found (set YARDSTICK_SHARED_DATA); skipping");
    return;
  }
  auto fx = ys::testing::lm_fixture("mmlu_prompts.json");
  for (int shots : {5, 0}) {
    TaskOptions o;
    o.data_dir = *dir;
    o.num_fewshot = shots;
    o.extra["subjects"] = "nutrition, formal_logic,college_mathematics";
    o.extra["limit_per_subject"] = "3";
    auto task = make_mmlu_task(o);
    REQUIRE(task->size() == 9);
    CHECK(task->doc_id(0) == "college_mathematics/0");
    CHECK(task->doc_id(3) == "formal_logic/0");
    CHECK(task->doc_id(8) == "nutrition/2");
    CHECK(task->dataset_hashes().size() == (shots ? 6u : 3u));
    size_t matched = 0;
    for (const auto& d : fx["docs"]) {
      if (d["num_fewshot"].get<int>() != shots) continue;
      std::string id = d["subject"].get<std::string>() + "/" + std::to_string(d["row"].get<int>());
      for (size_t i = 0; i < task->size(); ++i) {
        if (task->doc_id(i) != id) continue;
        INFO(id << " shots " << shots);
        DocRequests req = task->requests(i);
        const std::string ctx = d["context"].get<std::string>();
        CHECK(req.prompt == ctx);
        REQUIRE(req.loglikelihood.size() == 4);
        const char* conts[4] = {" A", " B", " C", " D"};
        for (int c = 0; c < 4; ++c) {
          CHECK(req.loglikelihood[c].context == ctx);
          CHECK(req.loglikelihood[c].continuation == conts[c]);
        }
        CHECK(req.generate.empty());
        ++matched;
      }
    }
    CHECK(matched == 9);
  }
}
