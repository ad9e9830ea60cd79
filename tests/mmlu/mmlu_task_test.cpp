// MMLU Task: options, scoring with fake results, aggregation on a hand example.
#include "suites/mmlu/mmlu.h"
#include "suites/metrics/stats.h"
#include "suites/mmlu/mmlu_aggregate.h"

#include "common/error.h"
#include "tests/mmlu/test_data.h"

#include <catch2/catch.hpp>

#include <cmath>

using namespace ys::suites;

namespace {

Sample fake(const std::string& id, double acc) {
  Sample s;
  s.doc_id = id;
  s.scores["acc"] = acc;
  return s;
}

const Metric& find(const std::vector<Metric>& ms, const std::string& name) {
  for (const auto& m : ms)
    if (m.name == name) return m;
  FAIL("no metric " << name);
  throw 0;
}

DocResults lls(double a, double b, double c, double d) {
  DocResults r;
  for (double x : {a, b, c, d}) r.loglikelihood.push_back({x, false, 1, false, {}});
  return r;
}

}  // namespace

TEST_CASE("mmlu aggregate: micro, per-subject, per-category pooled, macro") {
  std::vector<Sample> s = {fake("abstract_algebra/0", 1), fake("abstract_algebra/1", 0), fake("abstract_algebra/2", 1),
                           fake("abstract_algebra/3", 1), fake("anatomy/0", 0),          fake("anatomy/1", 0),
                           fake("anatomy/2", 1),          fake("philosophy/0", 1),       fake("philosophy/1", 1)};
  auto ms = aggregate_mmlu(s);
  // Hand computation: abstract_algebra mean .75, sd .5 (n-1), se .25; anatomy mean 1/3,
  // var 1/3, se 1/3; philosophy mean 1, se 0.
  const Metric& head = ms.front();
  CHECK(head.name == "acc");
  CHECK(head.headline);
  CHECK(head.n == 9);
  CHECK(head.value == Approx(6.0 / 9).epsilon(1e-12));
  // pooled: sqrt( (3*.25^2*4 + 2*(1/3)^2*3 + 1*0*2) / (9-3) / 9 )
  CHECK(head.stderr_ == Approx(std::sqrt((0.75 + 2.0 / 3.0) / 6.0 / 9.0)).epsilon(1e-12));
  CHECK(find(ms, "acc/abstract_algebra").value == Approx(0.75));
  CHECK(find(ms, "acc/abstract_algebra").stderr_ == Approx(0.25));
  CHECK(find(ms, "acc/anatomy").stderr_ == Approx(1.0 / 3.0));
  CHECK(find(ms, "acc/philosophy").stderr_ == Approx(0.0).margin(1e-15));
  CHECK(find(ms, "acc/stem").value == Approx(4.0 / 7.0));
  CHECK(find(ms, "acc/stem").n == 7);
  CHECK(find(ms, "acc/stem").stderr_ == Approx(std::sqrt((0.75 + 2.0 / 3.0) / 5.0 / 7.0)));
  CHECK(find(ms, "acc/humanities").value == Approx(1.0));
  CHECK(find(ms, "acc/humanities").stderr_ == Approx(0.0).margin(1e-15));
  CHECK(find(ms, "acc_macro").value == Approx((0.75 + 1.0 / 3.0 + 1.0) / 3.0));
  CHECK(find(ms, "acc_macro").stderr_ == Approx(std::sqrt(0.0625 + 1.0 / 9.0) / 3.0));
  for (const auto& m : ms) CHECK(m.name != "acc/social_sciences");  // no sample there
}

TEST_CASE("mmlu aggregate: stderr helpers and undefined cases") {
  CHECK(std::isnan(ys::metrics::mean_stderr({1.0})));
  CHECK(ys::metrics::mean_stderr({0, 1}) == Approx(0.5));  // sd sqrt(.5), /sqrt(2)
  CHECK(std::isnan(ys::metrics::pooled_sample_stderr({0.1}, {1})));
  auto ms = aggregate_mmlu({fake("anatomy/0", 1)});
  CHECK(std::isnan(ms.front().stderr_));
  CHECK_THROWS_AS(aggregate_mmlu({fake("nosuchsubject/0", 1)}), ys::Error);
  CHECK_THROWS_AS(aggregate_mmlu({fake("anatomy", 1)}), ys::Error);
}

TEST_CASE("mmlu task: options are validated") {
  TaskOptions o;
  o.data_dir = "/nonexistent";
  o.fewshot_as_multiturn = true;
  CHECK_THROWS_WITH(make_mmlu_task(o), Catch::Contains("--fewshot-as-multiturn needs --chat-template"));
  o.chat_template = true;  // without a renderer: the runner's bug, not the user's
  CHECK_THROWS_WITH(make_mmlu_task(o), Catch::Contains("no renderer"));
  o.chat_template = o.fewshot_as_multiturn = false;
  o.num_fewshot = 6;
  CHECK_THROWS_WITH(make_mmlu_task(o), Catch::Contains("num_fewshot=6"));
  o.num_fewshot = 0;
  o.extra["subject"] = "anatomy";
  CHECK_THROWS_WITH(make_mmlu_task(o), Catch::Contains("unknown option 'subject'"));
  o.extra.clear();
  o.extra["subjects"] = "anatomy,astronmy";
  CHECK_THROWS_WITH(make_mmlu_task(o), Catch::Contains("--subjects: unknown MMLU subject 'astronmy'") &&
                                          Catch::Contains("did you mean 'astronomy'"));
  o.extra["subjects"] = "anatomy";
  o.extra["limit_per_subject"] = "3x";
  CHECK_THROWS_WITH(make_mmlu_task(o), Catch::Contains("limit_per_subject"));
  o.extra.erase("limit_per_subject");
  CHECK_THROWS_AS(make_mmlu_task(o), ys::Error);  // the data dir does not exist
}

TEST_CASE("mmlu task: whole test set, scoring with fake log-likelihoods") {
  auto dir = ys::testing::shared_data_dir();
  if (!dir) {
    WARN("shared datasets not found (set YARDSTICK_SHARED_DATA); skipping");
    return;
  }
  TaskOptions o;
  o.data_dir = *dir;
  auto task = make_mmlu_task(o);
  CHECK(task->name() == "mmlu");
  CHECK(task->size() == 14042);
  CHECK(task->dataset_hashes().size() == 114);
  CHECK(task->doc_id(0) == "abstract_algebra/0");
  CHECK(task->doc_id(task->size() - 1) == "world_religions/170");
  CHECK(task->protocol()["num_fewshot"] == 5);

  DocRequests req = task->requests(0);
  // abstract_algebra test row 0: gold answer B (from the CSV).
  Sample s = task->score(0, req, lls(-3, -1, -2, -5));
  CHECK(s.doc_id == "abstract_algebra/0");
  CHECK(s.target == "B");
  CHECK(s.scores.at("acc") == 1.0);
  CHECK(s.output["pred"] == "B");
  CHECK(s.prompt_hash.size() == 16);
  // Ties go to the first (lowest) index.
  Sample t = task->score(0, req, lls(-1, -1, -1, -1));
  CHECK(t.output["pred"] == "A");
  CHECK(t.scores.at("acc") == 0.0);
  CHECK_THROWS_AS(task->score(0, req, DocResults{}), ys::Error);
}
