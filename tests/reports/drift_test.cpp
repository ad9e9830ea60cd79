// reports/drift.h on hand-built runs: identical runs, exact |Δ| statistics of perturbed
// loglikelihoods, changed generated text, disjoint documents, untrusted outputs, and the
// drift section of the compare renderings.
#include "reports/compare.h"
#include "reports/compare_report.h"
#include "reports/drift.h"

#include <catch2/catch.hpp>

using namespace ys::reports;

namespace {

SampleView sample(const std::string& doc, const std::string& output, double acc, const std::string& hash = "h") {
  SampleView s;
  s.doc_id = doc;
  s.prompt_hash = hash + doc;
  s.output = output;
  s.scores["acc"] = acc;
  return s;
}

std::string mmlu_output(double l0, double l1, double l2, double l3, const std::string& pred) {
  nlohmann::json j = {{"logprobs", {l0, l1, l2, l3}}, {"is_greedy", {false, false, true, false}}, {"pred", pred}};
  return j.dump();
}

RunData mmlu_run() {
  RunData r;
  r.run.suite = "mmlu";
  ys::store::MetricRecord m;
  m.name = "acc";
  m.headline = true;
  r.metrics.push_back(m);
  r.samples.push_back(sample("s/0", mmlu_output(-1.5, -2.25, -0.75, -3.0, "C"), 1));
  r.samples.push_back(sample("s/1", mmlu_output(-0.5, -2.25, -4.0, -1.0, "C"), 0));
  r.samples.push_back(sample("s/2", mmlu_output(-3.5, -1.25, -0.25, -2.0, "C"), 1));
  return r;
}

}  // namespace

TEST_CASE("drift: identical runs are bitwise identical", "[reports][drift]") {
  const RunData a = mmlu_run();
  const Drift d = compute_drift(a, a);
  CHECK(d.shared == 3);
  CHECK(d.identical_outputs == 3);
  CHECK(d.values.compared == 12);
  CHECK(d.values.differ == 0);
  CHECK(d.values.max_abs == 0.0);
  CHECK(d.strings.compared == 3);
  CHECK(d.flags.compared == 12);
  CHECK(d.scores.compared == 3);
  CHECK(d.structure_changed == 0);
  CHECK(d.outcome_key == "acc");
  CHECK(d.outcome_changed == 0);
  CHECK(d.verdict() == "identical");
  CHECK(d.summary().find("bitwise identical: 3/3") != std::string::npos);
}

TEST_CASE("drift: perturbed loglikelihoods give the exact max and mean |delta|", "[reports][drift]") {
  const RunData a = mmlu_run();
  RunData b = a;
  b.samples[0].output = mmlu_output(-1.25, -2.25, -0.75, -3.0, "C");   // |Δ| 0.25 at /logprobs/0
  b.samples[2].output = mmlu_output(-3.5, -1.25, -0.125, -2.0, "C");   // |Δ| 0.125 at /logprobs/2
  const Drift d = compute_drift(a, b);
  CHECK(d.identical_outputs == 1);
  CHECK(d.values.compared == 12);
  CHECK(d.values.differ == 2);
  CHECK(d.values.max_abs == 0.25);
  CHECK(d.values.mean_abs == 0.375 / 12);
  CHECK(d.values.max_doc == "s/0");
  CHECK(d.values.max_path == "/logprobs/0");
  CHECK(d.strings.differ == 0);
  CHECK(d.outcome_changed == 0);
  CHECK(d.verdict() == "numeric");
  CHECK(d.summary().find("2/12 values differ (max |Δ| 0.25 at s/0 /logprobs/0") != std::string::npos);

  // A drift of 1e-6 is told apart from 0 and reported as such.
  RunData c = a;
  c.samples[1].output = mmlu_output(-0.5 + 1e-6, -2.25, -4.0, -1.0, "C");
  const Drift e = compute_drift(a, c);
  CHECK(e.values.differ == 1);
  CHECK(e.values.max_abs == Approx(1e-6).epsilon(1e-6));
  CHECK(e.verdict() == "numeric");
}

TEST_CASE("drift: a changed generated text and outcome is an answer change", "[reports][drift]") {
  RunData a, b;
  ys::store::MetricRecord m;
  m.name = "exact_match";
  m.headline = true;
  a.metrics = b.metrics = {m};
  auto gsm = [](const std::string& text, const std::string& answer, double em) {
    SampleView s = sample("gsm/0", nlohmann::json{{"text", text}, {"strict-match", answer}}.dump(), 0);
    s.scores = {{"exact_match", em}};
    return s;
  };
  a.samples = {gsm("So the answer is 42.", "42", 1), gsm("The answer is 7.", "7", 0)};
  a.samples[1].doc_id = "gsm/1";
  b.samples = {gsm("So the answer is 41.", "41", 0), a.samples[1]};
  const Drift d = compute_drift(a, b);
  CHECK(d.shared == 2);
  CHECK(d.identical_outputs == 1);
  CHECK(d.strings.compared == 4);
  CHECK(d.strings.differ == 2);
  CHECK(d.outcome_key == "exact_match");
  CHECK(d.outcome_changed == 1);
  CHECK(d.scores.differ == 1);
  CHECK(d.scores.max_abs == 1.0);
  CHECK(d.verdict() == "changed");
  CHECK(d.summary().find("answers changed: 1/2 outcomes (exact_match), 2 texts") != std::string::npos);
}

TEST_CASE("drift: disjoint documents and changed prompts are counted, not compared", "[reports][drift]") {
  RunData a, b;
  a.samples = {sample("x/0", "[1]", 1), sample("x/1", "[2]", 1), sample("z/0", "[3]", 1)};
  b.samples = {sample("y/0", "[1]", 1), sample("z/0", "[3]", 1, "other")};
  const Drift d = compute_drift(a, b);
  CHECK(d.shared == 0);
  CHECK(d.only_reference == 2);
  CHECK(d.only_run == 1);
  CHECK(d.prompt_changed == 1);
  CHECK(d.verdict() == "none");
  CHECK(d.summary().find("no shared documents") != std::string::npos);
  const Drift empty = compute_drift(RunData{}, RunData{});
  CHECK(empty.verdict() == "none");
  CHECK(empty.outcome_key.empty());
}

TEST_CASE("drift: malformed and hostile outputs do not crash and are compared as bytes", "[reports][drift]") {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  const std::vector<std::string> outputs = {"not json {", "[1, 2", deep, "\xff\xfe\"", "{\"a/b~\": [1e308, -1e308]}",
                                            "null", "{}", "\"text\""};
  RunData a, b;
  for (size_t i = 0; i < outputs.size(); ++i) {
    a.samples.push_back(sample("d/" + std::to_string(i), outputs[i], 1));
    b.samples.push_back(sample("d/" + std::to_string(i), outputs[(i + 1) % outputs.size()], 1));
  }
  const Drift same = compute_drift(a, a);
  CHECK(same.verdict() == "identical");
  CHECK(same.opaque.compared == 4);  // the first four are not (acceptably nested) JSON
  CHECK(same.opaque.differ == 0);
  const Drift d = compute_drift(a, b);
  CHECK(d.shared == 8);
  CHECK(d.opaque.differ >= 4);
  CHECK(d.verdict() == "changed");
  CHECK(!json_depth_within(deep, kMaxJsonDepth));
  CHECK(json_depth_within("[\"[[[[[[[[\"]", 2));  // brackets inside strings do not count

  // Overflowing differences and a key with JSON-pointer characters.
  RunData c = a;
  c.samples[4].output = "{\"a/b~\": [-1e308, -1e308]}";
  const Drift big = compute_drift(a, c);
  CHECK(big.values.max_path == "/a~1b~0/0");
  CHECK(big.values.max_abs > 1e308);

  // Missing outputs (baseline files) and a changed array length.
  RunData e = mmlu_run(), f = e;
  f.samples[0].output.clear();
  f.samples[1].output = nlohmann::json{{"logprobs", {-0.5, -2.25, -4.0}}, {"is_greedy", {false, false, true, false}},
                                       {"pred", "C"}}.dump();
  const Drift g = compute_drift(e, f);
  CHECK(g.missing_output == 1);
  CHECK(g.structure_changed == 1);
  CHECK(g.verdict() == "changed");
}

TEST_CASE("drift: compare renders the drift section in md, html and json", "[reports][drift][compare]") {
  const RunData a = mmlu_run();
  RunData b = a, c = a;
  b.run.id = "bbbbbbbbbbbbbbbb";
  c.run.id = "cccccccccccccccc";
  c.samples[0].output = mmlu_output(-1.25, -2.25, -0.75, -3.0, "C");
  const Comparison cmp = compare_runs({a, b, c}, "", false);
  REQUIRE(cmp.drift.size() == 3);
  CHECK(!cmp.drift[0]);
  REQUIRE(cmp.drift[1]);
  CHECK(cmp.drift[1]->verdict() == "identical");
  CHECK(cmp.drift[2]->verdict() == "numeric");
  const std::string md = compare_markdown(cmp, nullptr);
  CHECK(md.find("#### Numerical drift vs the reference") != std::string::npos);
  CHECK(md.find("| bbbbbbbb | bitwise identical | 3 | 3 | 0/12 | 0 | 0 |") != std::string::npos);
  CHECK(md.find("| cccccccc | numeric drift | 3 | 2 | 1/12 | 0.25 | 0.0208 |") != std::string::npos);
  const nlohmann::json j = compare_json(cmp, nullptr);
  REQUIRE(j["drift"].size() == 3);
  CHECK(j["drift"][0].is_null());
  CHECK(j["drift"][1]["verdict"] == "identical");
  CHECK(j["drift"][2]["values"]["max_abs"] == 0.25);
  CHECK(j["drift"][2]["values"]["max_path"] == "/logprobs/0");
  const std::string html = compare_html(cmp, nullptr);
  CHECK(html.find("<table id=\"drift\">") != std::string::npos);
  CHECK(html.find("numeric drift") != std::string::npos);
}
