// WMT loader and suite: prompt bytes, names, loading every pair from the shared data set
// (env YARDSTICK_SHARED_DATA, default <repo>/../shared/datasets; WARN + skip if absent),
// and aggregation against sacrebleu / lm-eval values (tests/fixtures/sacrebleu/wmt16_slice.json).
#include "common/error.h"
#include "datasets/wmt.h"
#include "suites/metrics/bleu.h"
#include "suites/metrics/chrf.h"
#include "suites/wmt/wmt.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

namespace fs = std::filesystem;
using namespace ys;

namespace {

std::optional<fs::path> shared_data() {
  const char* env = std::getenv("YARDSTICK_SHARED_DATA");
  const fs::path dir = (env && *env) ? fs::path(env) : fs::path(YS_SOURCE_DIR) / ".." / "shared" / "datasets";
  if (!fs::exists(dir / "wmt")) {
    WARN("shared datasets not found at " << dir.string() << " (set YARDSTICK_SHARED_DATA); skipped");
    return std::nullopt;
  }
  return dir;
}

suites::TaskOptions options_for(const fs::path& dir) {
  suites::TaskOptions o;
  o.data_dir = dir;
  return o;
}

suites::Sample run_doc(const suites::Task& task, size_t i, const std::string& generated) {
  const suites::DocRequests req = task.requests(i);
  suites::DocResults res;
  engine::GenerateResult g;
  g.text = generated;
  res.generate.push_back(g);
  return task.score(i, req, res);
}

}  // namespace

TEST_CASE("WMT prompt is lm-eval's, byte for byte") {
  CHECK(suites::wmt_prompt("de", "en", "Gutach: Noch mehr Sicherheit für Fußgänger") ==
        "German phrase: Gutach: Noch mehr Sicherheit für Fußgänger\nEnglish phrase:");
  CHECK(suites::wmt_prompt("en", "zh", " a ") == "English phrase:  a \nChinese phrase:");
  CHECK(suites::wmt_prompt("ro", "en", "x") == "Romanian phrase: x\nEnglish phrase:");
  CHECK(suites::wmt_prompt("en", "fr", "x") == "English phrase: x\nFrench phrase:");
  CHECK_THROWS_AS(suites::wmt_language_name("ja"), Error);
}

TEST_CASE("WMT task names map onto the data layout") {
  const auto names = suites::wmt_task_names();
  REQUIRE(names.size() == 10);
  CHECK(names[0] == "wmt14-en-de");
  const auto p = suites::wmt_pair_for_task("wmt14-fr-en");
  CHECK(datasets::wmt_src_path(p) == "wmt/wmt14-full/fr-en/src.fr");
  CHECK(datasets::wmt_ref_path(p) == "wmt/wmt14-full/fr-en/ref.en");
  CHECK_THROWS_AS(suites::wmt_pair_for_task("wmt16-de-en"), Error);
  CHECK(datasets::split_text_lines("a\nb\n") == std::vector<std::string>{"a", "b"});
  CHECK(datasets::split_text_lines("a\r\n\nb") == std::vector<std::string>{"a\r", "", "b"});
}

TEST_CASE("WMT loader reads and verifies every pair of the shared data set") {
  const auto dir = shared_data();
  if (!dir) return;
  for (const auto& p : datasets::wmt_pairs()) {
    INFO(p.testset << " " << p.src_lang << "-" << p.tgt_lang);
    const datasets::WmtSet s = datasets::load_wmt(*dir, p);
    CHECK(s.src.size() == s.ref.size());
    const size_t want = p.testset == "wmt14-full" ? 3003 : p.testset == "wmt16" ? 1999
                        : p.src_lang == "zh"      ? 1875 : p.src_lang == "de" ? 1984 : 2037;
    CHECK(s.src.size() == want);
    CHECK(s.src_sha256.size() == 64);
    for (const auto& line : s.src) REQUIRE(!line.empty());
  }
  CHECK_THROWS_AS(datasets::load_wmt(*dir, {"wmt16", "de", "en"}), Error);
}

TEST_CASE("WMT task: requests, 0-shot only, scoring and corpus aggregation") {
  const auto dir = shared_data();
  if (!dir) return;
  auto o = options_for(*dir);
  o.num_fewshot = 1;
  CHECK_THROWS_AS(suites::make_wmt_task("wmt16-ro-en", o), Error);
  o.num_fewshot = 0;
  auto task = suites::make_wmt_task("wmt16-ro-en", o);
  REQUIRE(task->size() == 1999);
  const auto set = datasets::load_wmt(*dir, {"wmt16", "ro", "en"});
  const auto req = task->requests(0);
  CHECK(req.prompt == "Romanian phrase: " + set.src[0] + "\nEnglish phrase:");
  REQUIRE(req.generate.size() == 1);
  CHECK(req.generate[0].stop == std::vector<std::string>{"\n"});
  CHECK(req.generate[0].max_tokens == 256);
  CHECK(req.generate[0].sampler.temperature == 0.0);
  CHECK(task->dataset_hashes().at("wmt/wmt16/ro-en/ref.en") ==
        "e883f089e3ee88cecd40a509aa743ae60be2d72c37cf1a97462f31855ab5c90b");

  // Perfect translations (with text after the stop string) score 100.
  std::vector<suites::Sample> perfect;
  for (size_t i = 0; i < 5; ++i) perfect.push_back(run_doc(*task, i, " " + set.ref[i] + "\nEnglish phrase: junk"));
  CHECK(perfect[0].target == " " + set.ref[0]);
  CHECK(perfect[0].output["text"] == " " + set.ref[0]);
  CHECK(perfect[0].scores.at("chrf_sentence") == Approx(100.0).margin(1e-9));
  const auto m = task->aggregate(perfect);
  REQUIRE(m.size() == 2);
  CHECK(m[0].name == "bleu");
  CHECK(m[0].headline);
  CHECK(m[0].value == Approx(100.0).margin(1e-9));
  CHECK(m[1].value == Approx(100.0).margin(1e-9));
  CHECK(m[0].stderr_ == Approx(0.0).margin(1e-9));  // every replicate scores 100 (up to rounding)
}

TEST_CASE("WMT aggregate equals sacrebleu and lm-eval's bootstrap on a WMT16 slice") {
  const auto dir = shared_data();
  if (!dir) return;
  std::ifstream in(std::string(YS_SOURCE_DIR) + "/tests/fixtures/sacrebleu/wmt16_slice.json");
  if (!in) {
    WARN("wmt16_slice.json absent; skipped");
    return;
  }
  const auto fx = nlohmann::json::parse(in);
  auto task = suites::make_wmt_task("wmt16-ro-en", options_for(*dir));
  const auto hyps = fx["hyps"].get<std::vector<std::string>>();
  std::vector<suites::Sample> samples;
  for (size_t i = hyps.size(); i-- > 0;) samples.push_back(run_doc(*task, i, hyps[i]));  // reverse order on purpose
  const auto m = task->aggregate(samples);
  REQUIRE(m.size() == 2);
  CHECK(m[0].n == static_cast<int64_t>(hyps.size()));
  CHECK(std::abs(m[0].value - fx["bleu"]["score"].get<double>()) <= 1e-9);
  CHECK(std::abs(m[1].value - fx["chrf"]["score"].get<double>()) <= 1e-9);
  CHECK(std::abs(m[0].stderr_ - fx["bootstrap"]["bleu"].get<double>()) <= 1e-9);
  CHECK(std::abs(m[1].stderr_ - fx["bootstrap"]["chrf"].get<double>()) <= 1e-9);
  CHECK(task->protocol()["bleu_signature"] == fx["bleu"]["signature"]);
  CHECK(task->protocol()["chrf_signature"] == fx["chrf"]["signature"]);
}
