// GSM8K tasks: few-shot indices, hand-written contexts, Python-rendered contexts for test
// docs 0..2, scoring with fake generations, aggregation.
#include "suites/gsm8k/gsm8k.h"
#include "suites/gsm8k/gsm8k_cot_exemplars.h"

#include "common/error.h"
#include "tests/mmlu/test_data.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace ys::suites;

TEST_CASE("gsm8k: shot indices of test docs 0..2 (random.Random(1234))") {
  auto idx = gsm8k_fewshot_indices(3, 7473, 5);
  REQUIRE(idx.size() == 3);
  CHECK(idx[0] == std::vector<size_t>{6374, 3610, 957, 61, 742});
  CHECK(idx[1] == std::vector<size_t>{7462, 6610, 4769, 286, 5501});
  CHECK(idx[2] == std::vector<size_t>{5677, 687, 806, 6279, 2905});
  CHECK(gsm8k_fewshot_indices(2, 7473, 0)[1].empty());
}

TEST_CASE("gsm8k: contexts by hand") {
  std::vector<ys::datasets::Gsm8kRow> shots = {{"How many?", "2+2=<<2+2=4>>4\n#### 4"}, {"More?", "#### 1"}};
  CHECK(gsm8k_context(shots, "Last one?") ==
        "Question: How many?\nAnswer: 2+2=<<2+2=4>>4\n#### 4\n\n"
        "Question: More?\nAnswer: #### 1\n\n"
        "Question: Last one?\nAnswer:");
  CHECK(gsm8k_context({}, "Q") == "Question: Q\nAnswer:");
  CHECK(gsm8k_cot_context(1, "Why?") ==
        "Q: There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are "
        "done, there will be 21 trees. How many trees did the grove workers plant today?\n"
        "A: There are 15 trees originally. Then there were 21 trees after some more were planted. So there must "
        "have been 21 - 15 = 6. The answer is 6.\n\n"
        "Q: Why?\nA:");
  const auto& ex = gsm8k_cot_exemplars();
  REQUIRE(ex.size() == 8);
  for (const auto& e : ex) CHECK_THAT(e.target, Catch::Contains("The answer is ") && Catch::EndsWith("."));
}

TEST_CASE("gsm8k: options are validated") {
  TaskOptions o;
  o.data_dir = std::filesystem::path(YS_BINARY_DIR) / "no-such-data-dir";
  o.fewshot_as_multiturn = true;
  CHECK_THROWS_WITH(make_gsm8k_task(o), Catch::Contains("--fewshot-as-multiturn needs --chat-template"));
  o.fewshot_as_multiturn = false;
  o.gen_samples = 4;
  CHECK_THROWS_WITH(make_gsm8k_cot_task(o), Catch::Contains("gen_samples=4"));
  o.gen_samples = 1;
  o.extra.emplace("limit", std::string("3"));
  CHECK_THROWS_WITH(make_gsm8k_task(o), Catch::Contains("unknown option 'limit'"));
  o.extra.clear();
  o.extra.emplace("limit_per_subject", std::string("3"));  // runner-wide option, ignored
  CHECK_THROWS_WITH(make_gsm8k_task(o), Catch::Contains("missing"));  // fails on the data, not the option
}

TEST_CASE("gsm8k: requests equal the Python rendering, independent of call order") {
  auto dir = ys::testing::shared_data_dir();
  if (!dir) {
    WARN("shared datasets not found (set YARDSTICK_SHARED_DATA); skipping");
    return;
  }
  auto fx = ys::testing::lm_fixture("gsm8k_prompts.json");
  TaskOptions o;
  o.data_dir = *dir;
  auto task = make_gsm8k_task(o);
  auto cot = make_gsm8k_cot_task(o);
  CHECK(task->size() == 1319);
  CHECK(cot->size() == 1319);
  CHECK(task->dataset_hashes().size() == 2);
  CHECK(cot->dataset_hashes().size() == 1);
  for (int i = 2; i >= 0; --i) {  // reverse order on purpose
    const auto& d = fx["docs"][i];
    DocRequests r = task->requests(static_cast<size_t>(i));
    CHECK(r.prompt == d["context"].get<std::string>());
    REQUIRE(r.generate.size() == 1);
    CHECK(r.loglikelihood.empty());
    CHECK(r.generate[0].prompt == r.prompt);
    CHECK(r.generate[0].max_tokens == 256);
    CHECK(r.generate[0].stop == std::vector<std::string>{"Question:", "</s>", "<|im_end|>"});
    CHECK(r.generate[0].sampler.temperature == 0.0);
    DocRequests c = cot->requests(static_cast<size_t>(i));
    CHECK(c.prompt == d["cot_context"].get<std::string>());
    CHECK(c.generate[0].stop == std::vector<std::string>{"Q:", "</s>", "<|im_end|>"});
  }
  CHECK(task->doc_id(0) == "test/0");
}

TEST_CASE("gsm8k: scoring and aggregation with fake generations") {
  auto dir = ys::testing::shared_data_dir();
  if (!dir) {
    WARN("shared datasets not found (set YARDSTICK_SHARED_DATA); skipping");
    return;
  }
  TaskOptions o;
  o.data_dir = *dir;
  o.num_fewshot = 0;
  auto task = make_gsm8k_task(o);
  CHECK(task->requests(0).prompt.rfind("Question: Janet", 0) == 0);
  auto gen = [](const std::string& text) {
    DocResults r;
    ys::engine::GenerateResult g;
    g.text = text;
    r.generate.push_back(g);
    return r;
  };
  // Test doc 0's answer is 18 (Janet's ducks).
  std::vector<Sample> samples;
  samples.push_back(task->score(0, task->requests(0), gen(" She makes $18.\n#### 18")));
  samples.push_back(task->score(0, task->requests(0), gen(" She makes $18 a day.")));
  samples.push_back(task->score(0, task->requests(0), gen(" 9 eggs, so #### 9")));
  CHECK(samples[0].scores.at("exact_match,strict-match") == 1.0);
  CHECK(samples[0].scores.at("exact_match,flexible-extract") == 1.0);
  CHECK(samples[1].scores.at("exact_match,strict-match") == 0.0);
  CHECK(samples[1].output["strict-match"] == "[invalid]");
  CHECK(samples[1].scores.at("exact_match,flexible-extract") == 1.0);
  CHECK(samples[2].scores.at("exact_match,flexible-extract") == 0.0);
  auto ms = task->aggregate(samples);
  REQUIRE(ms.size() == 2);
  CHECK(ms[0].name == "exact_match,strict-match");
  CHECK(ms[0].headline);
  CHECK_FALSE(ms[1].headline);
  CHECK(ms[0].value == Approx(1.0 / 3));
  CHECK(ms[0].stderr_ == Approx(std::sqrt(1.0 / 3) / std::sqrt(3.0)));  // sd of {1,0,0} = sqrt(1/3)
  CHECK(ms[1].value == Approx(2.0 / 3));
  CHECK(ms[1].n == 3);

  auto cot = make_gsm8k_cot_task(o);
  Sample s = cot->score(0, cot->requests(0), gen(" 16 - 3 - 4 = 9. 9 * 2 = 18. The answer is 18."));
  CHECK(s.target == "18");
  CHECK(s.scores.at("exact_match,strict-match") == 1.0);
  CHECK_THROWS_AS(cot->score(0, cot->requests(0), DocResults{}), ys::Error);
}
