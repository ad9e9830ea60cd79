// BLEU, chrF and the 13a tokenizer against sacrebleu 2.6.0 (fixtures from
// tools/gen_sacrebleu_fixtures.py). Scores must agree to 1e-9, statistics,
// tokenizations, signatures and score lines exactly.
#include "suites/metrics/bleu.h"
#include "common/error.h"
#include "suites/metrics/bootstrap.h"
#include "suites/metrics/chrf.h"
#include "suites/metrics/pystr.h"
#include "suites/metrics/tokenizer_13a.h"
#include "tests/metrics/fixtures.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

using namespace ys::metrics;
using ys_test::load_sacrebleu_fixture;

namespace {

std::vector<int64_t> bleu_stats_vec(const BleuStats& s) {
  std::vector<int64_t> v{s.hyp_len, s.ref_len};
  v.insert(v.end(), s.correct.begin(), s.correct.end());
  v.insert(v.end(), s.total.begin(), s.total.end());
  return v;
}

void check_case(const nlohmann::json& c) {
  INFO("case " << c["name"].get<std::string>());
  const auto hyps = ys_test::strings(c["hyps"]);
  const auto refs = ys_test::streams(c["refs"]);
  const int nrefs = static_cast<int>(refs.size());
  for (size_t i = 0; i < hyps.size(); ++i) CHECK(tokenize_13a(py_rstrip(hyps[i])) == c["tok_hyps"][i]);
  for (size_t r = 0; r < refs.size(); ++r)
    for (size_t i = 0; i < refs[r].size(); ++i)
      CHECK(tokenize_13a(py_rstrip(refs[r][i])) == c["tok_refs"][r][i]);

  const BleuScore b = corpus_bleu(hyps, refs);
  const auto& jb = c["bleu"];
  CHECK(std::abs(b.score - jb["score"].get<double>()) <= 1e-9);
  CHECK(bleu_stats_vec(b.stats) == jb["stats"].get<std::vector<int64_t>>());
  for (int n = 0; n < kBleuMaxOrder; ++n) CHECK(std::abs(b.precisions[n] - jb["precisions"][n].get<double>()) <= 1e-9);
  CHECK(std::abs(b.bp - jb["bp"].get<double>()) <= 1e-12);
  CHECK(bleu_signature(nrefs) == jb["signature"]);
  CHECK(bleu_score_line(b, nrefs) == jb["line"]);
  CHECK(bleu_score_line(b, nrefs, 1) == jb["line_w1"]);

  const auto& jc = c["chrf"];
  ChrfStats sum;
  for (const auto& st : chrf_corpus_segment_stats(hyps, refs)) sum += st;
  const std::vector<int64_t> got(sum.v.begin(), sum.v.end());
  CHECK(got == jc["stats"].get<std::vector<int64_t>>());
  const double chrf = corpus_chrf(hyps, refs);
  CHECK(std::abs(chrf - jc["score"].get<double>()) <= 1e-9);
  CHECK(chrf_signature(nrefs) == jc["signature"]);
  CHECK(chrf_score_line(chrf, nrefs) == jc["line"]);
}

}  // namespace

TEST_CASE("13a tokenizer matches sacrebleu on every rule and whitespace code point") {
  const auto fx = load_sacrebleu_fixture("corpora.json");
  REQUIRE(fx["tokenizations"].size() > 40);
  for (const auto& t : fx["tokenizations"]) {
    const std::string line = t["line"];
    INFO("line: " << line);
    CHECK(tokenize_13a(py_rstrip(line)) == t["tok"].get<std::string>());
  }
}

TEST_CASE("corpus BLEU and chrF match sacrebleu on the small corpora") {
  const auto fx = load_sacrebleu_fixture("corpora.json");
  REQUIRE(fx["sacrebleu"] == "2.6.0");
  REQUIRE(fx["cases"].size() >= 20);
  for (const auto& c : fx["cases"]) check_case(c);
}

TEST_CASE("corpus BLEU, chrF and lm-eval bootstrap stderr on a WMT16 slice") {
  const std::string path = std::string(YS_SOURCE_DIR) + "/tests/fixtures/sacrebleu/wmt16_slice.json";
  if (!std::filesystem::exists(path)) {
    WARN("wmt16_slice.json absent (shared datasets were missing when fixtures were made); skipped");
    return;
  }
  const auto c = load_sacrebleu_fixture("wmt16_slice.json");
  check_case(c);
  // lm-eval scores (gold = " " + ref, prediction) items; the leading space is harmless.
  const auto hyps = ys_test::strings(c["hyps"]);
  std::vector<std::string> golds;
  for (const auto& r : c["refs"][0]) golds.push_back(" " + r.get<std::string>());
  const double bleu_se = bleu_bootstrap_stderr(bleu_corpus_segment_stats(hyps, {golds}));
  const double chrf_se = chrf_bootstrap_stderr(chrf_corpus_segment_stats(hyps, {golds}));
  CHECK(std::abs(bleu_se - c["bootstrap"]["bleu"].get<double>()) <= 1e-9);
  CHECK(std::abs(chrf_se - c["bootstrap"]["chrf"].get<double>()) <= 1e-9);
  CHECK(bleu_se > 0.1);  // a real spread, not a degenerate resample
}

TEST_CASE("BLEU and chrF reject mismatched reference streams") {
  CHECK_THROWS_AS(corpus_bleu({"a", "b"}, {{"a"}}), ys::Error);
  CHECK_THROWS_AS(corpus_chrf({"a"}, {}), ys::Error);
}
