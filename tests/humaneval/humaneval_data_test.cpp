// The HumanEval loader and the canonical solutions through the sandbox (real data from
// YARDSTICK_SHARED_DATA, default <repo>/../shared/datasets; WARN + skip when absent).
#include "datasets/humaneval.h"
#include "suites/humaneval/humaneval.h"
#include "suites/humaneval/humaneval_task.h"
#include "common/error.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;
using namespace ys::suites::humaneval;

namespace {
fs::path shared_data() {
  const char* env = std::getenv("YARDSTICK_SHARED_DATA");
  return env ? fs::path(env) : fs::path(YS_SOURCE_DIR) / ".." / "shared" / "datasets";
}
bool have_humaneval() {
  if (fs::exists(shared_data() / ys::datasets::kHumanEvalPath)) return true;
  WARN("HumanEval data not found under " << shared_data().string() << "; skipping");
  return false;
}
}  // namespace

TEST_CASE("humaneval loader: parse errors name the line") {
  using ys::datasets::parse_humaneval_jsonl;
  std::string good =
      R"({"task_id":"T/0","prompt":"def f():\n","canonical_solution":"    return 1\n","test":"def check(c):\n    assert c() == 1\n","entry_point":"f"})";
  auto ps = parse_humaneval_jsonl(good + "\n", "x.jsonl", false);
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].entry_point == "f");
  CHECK_THROWS_WITH(parse_humaneval_jsonl(good + "\n{\"task_id\": 3}\n", "x.jsonl", false),
                    Catch::Contains("x.jsonl:2"));
  CHECK_THROWS_WITH(parse_humaneval_jsonl(good + "\n" + good + "\n", "x.jsonl", false),
                    Catch::Contains("duplicate"));
  CHECK_THROWS_WITH(parse_humaneval_jsonl("not json\n", "x.jsonl", false), Catch::Contains("x.jsonl:1"));
  std::string bad_entry = good;
  bad_entry.replace(bad_entry.find("\"f\"}"), 4, "\"f; import os\"}");
  CHECK_THROWS_AS(parse_humaneval_jsonl(bad_entry, "x.jsonl", false), ys::Error);
  CHECK_THROWS_AS(parse_humaneval_jsonl(good, "x.jsonl", true), ys::Error);  // no plus fields
}

TEST_CASE("humaneval loader: the real files") {
  if (!have_humaneval()) return;
  std::string sha;
  auto ps = ys::datasets::load_humaneval(shared_data(), &sha);
  REQUIRE(ps.size() == 164);
  CHECK(sha == "b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef");
  CHECK(ps[0].task_id == "HumanEval/0");
  CHECK(ps[0].entry_point == "has_close_elements");
  CHECK(ps[163].task_id == "HumanEval/163");
  auto plus = ys::datasets::load_humaneval_plus(shared_data());
  if (plus) {
    REQUIRE(plus->size() == 164);
    size_t n_plus = 0, same_prompt = 0;
    for (size_t i = 0; i < plus->size(); ++i) {
      n_plus += nlohmann::json::parse((*plus)[i].plus_input_json).size();
      same_prompt += (*plus)[i].prompt == ps[i].prompt;
    }
    CHECK(n_plus == 122683);  // SOURCE.md
    CHECK(same_prompt == 163);  // only HumanEval/115 differs
  }
}

TEST_CASE("humaneval: all 164 canonical solutions pass in the sandbox") {
  if (!have_humaneval()) return;
  auto ps = ys::datasets::load_humaneval(shared_data());
  std::vector<std::string> progs, wrong;
  for (const auto& p : ps) {
    progs.push_back(build_program(p, p.canonical_solution));
    wrong.push_back(build_program(p, "    return None\n"));
  }
  SandboxOptions o;
  o.limits.timeout_s = 10.0;  // generous: the machine may be loaded
  Sandbox sb(o);
  auto res = sb.run_all(progs);
  size_t passed = 0;
  for (size_t i = 0; i < res.size(); ++i) {
    INFO(ps[i].task_id << ": " << result_string(res[i]));
    CHECK(res[i].outcome == Outcome::passed);
    passed += res[i].outcome == Outcome::passed;
  }
  CHECK(passed == 164);
  // A wrong body fails every problem (the checks are not vacuous).
  auto bad = sb.run_all(std::vector<std::string>(wrong.begin(), wrong.begin() + 40));
  for (size_t i = 0; i < bad.size(); ++i) {
    INFO(ps[i].task_id << ": " << result_string(bad[i]));
    CHECK(bad[i].outcome == Outcome::failed);
  }
}
