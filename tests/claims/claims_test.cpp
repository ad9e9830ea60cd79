// Claims files (strict loading), matching a claim to a stored run, the interval and verdict,
// the renderings, the shipped example files, and `yardstick claims check` exit codes.
#include "common/error.h"
#include "reports/claims.h"
#include "runner/claims_file.h"
#include "runner/settings.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using namespace ys::reports;
using nlohmann::json;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("ys-claims-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

ClaimsFile parse(const std::string& text) { return claims_from_json(ys::runner::parse_json_strict(text, "c.json"), "c.json"); }

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const ys::Error& e) {
    return e.what();
  }
  return "";
}

const char* kGood = R"({"schema": "yardstick-claims", "model": "HuggingFaceTB/SmolLM2-135M-Instruct",
  "source": "https://example.org/card", "notes": "n",
  "claims": [
    {"suite": "mmlu", "metric": "acc", "value": 30.5, "shots": 5, "chat_template": false, "source": "table 1", "notes": "x"},
    {"suite": "wmt16-ro-en", "metric": "bleu", "value": 12.5, "shots": 0, "chat_template": true},
    {"suite": "ifeval", "metric": "prompt_level_strict_acc", "value": 29.9, "shots": 0, "chat_template": true,
     "not_checkable": "no Yardstick suite"}]})";

// A finished run with 0/1 "acc" scores: `right` of `n` documents correct.
std::string add_run(ys::store::Store& st, const std::string& model_path, const std::string& sha, int shots, bool chat,
                    int right, int n, const json& extra_settings = json::object()) {
  ys::store::RunRecord r;
  r.suite = "mmlu";
  r.model_path = model_path;
  r.model_sha256 = sha;
  json protocol = {{"num_fewshot", shots}};
  if (chat) protocol["chat_template"] = true;
  r.protocol_json = protocol.dump();
  json settings = {{"num_fewshot", shots}};
  settings.update(extra_settings);
  r.settings_json = settings.dump();
  const std::string id = st.create_run(r);
  std::vector<ys::store::SampleRecord> samples;
  for (int i = 0; i < n; ++i) {
    ys::store::SampleRecord s;
    s.doc_id = "anatomy/" + std::to_string(i);
    s.scores_json = json{{"acc", i < right ? 1 : 0}}.dump();
    samples.push_back(s);
  }
  st.append_samples(id, samples);
  const double p = double(right) / n;
  st.set_metrics(id, {{"acc", p, std::sqrt(p * (1 - p) / (n - 1)), n, true}});
  st.finish_run(id, "done", 1.0, 10, "");
  return id;
}

int run_cmd(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return rc == -1 || !WIFEXITED(rc) ? -1 : WEXITSTATUS(rc);
}

}  // namespace

TEST_CASE("claims files load strictly: unknown, duplicate, missing and mistyped keys name the key", "[claims]") {
  const ClaimsFile f = parse(kGood);
  REQUIRE(f.claims.size() == 3);
  CHECK(f.model == "HuggingFaceTB/SmolLM2-135M-Instruct");
  CHECK(f.claims[0].unit == "percent");
  CHECK(f.claims[0].store_value() == Approx(0.305));
  CHECK(f.claims[1].unit == "points");  // BLEU is not a fraction
  CHECK(f.claims[1].store_value() == 12.5);
  CHECK(f.claims[2].not_checkable == "no Yardstick suite");

  CHECK_THAT(error_of(R"({"model":"m","source":"s","claims":[],"modell":1})"), Catch::Contains("unknown key \"modell\""));
  CHECK_THAT(error_of(R"({"model":"m","model":"n","source":"s","claims":[]})"), Catch::Contains("\"model\" appears twice"));
  CHECK_THAT(error_of(R"({"model":"m","source":"s","claims":[{"suite":"mmlu","metric":"acc","value":1,"shots":5,"chat_template":false,"shots":4}]})"),
             Catch::Contains("\"shots\" appears twice"));
  CHECK_THAT(error_of(R"({"model":"m","claims":[]})"), Catch::Contains("missing key \"source\""));
  CHECK_THAT(error_of(R"({"model":"m","source":"s","claims":[{"suite":"mmlu","metric":"acc","value":"30","shots":5,"chat_template":false}]})"),
             Catch::Contains("claims[0]: key \"value\": expected a number, got string"));
  CHECK_THAT(error_of(R"({"model":"m","source":"s","claims":[{"suite":"mmlu","metric":"acc","value":30,"shots":5.5,"chat_template":false}]})"),
             Catch::Contains("key \"shots\": expected an integer"));
  CHECK_THAT(error_of(R"({"model":"m","source":"s","claims":[{"suite":"mmlu","metric":"acc","value":30,"shots":5,"chat_template":"no"}]})"),
             Catch::Contains("key \"chat_template\": expected true or false, got string"));
  CHECK_THAT(error_of(R"({"model":"m","source":"s","claims":[{"suite":"mmlu","metric":"acc","value":30,"shots":5}]})"),
             Catch::Contains("claims[0]: missing key \"chat_template\""));
  CHECK_THAT(error_of(R"({"model":"m","source":"s","claims":[{"suite":"mmlu","metric":"acc","value":130,"shots":5,"chat_template":false}]})"),
             Catch::Contains("outside 0..100"));
  CHECK_THAT(error_of(R"({"model":"m","source":"s","claims":[{"suite":"mmlu","metric":"acc","value":3,"unit":"points","shots":5,"chat_template":false}]})"),
             Catch::Contains("is a fraction"));
  CHECK_THAT(error_of(R"({"model":"m","source":"s","claims":[{"suite":"mmlu","metric":"acc","value":3,"shots":5,"chat_template":false,"extra":1}]})"),
             Catch::Contains("claims[0]: unknown key \"extra\""));
  CHECK_THAT(error_of(R"({"model":"m","source":"s","claims":{}})"), Catch::Contains("key \"claims\": expected an array"));
  CHECK_THAT(error_of(R"({"schema":"other","model":"m","source":"s","claims":[]})"), Catch::Contains("yardstick-claims"));
  CHECK_THAT(error_of(R"({"model":"m","source":"s","model_sha256":"abc","claims":[]})"), Catch::Contains("64 hex digits"));
  CHECK_THAT(error_of("{\"model\": "), Catch::Contains("not valid JSON"));
}

TEST_CASE("model names match file names only with a quantization or format suffix", "[claims]") {
  CHECK(model_name_matches("HuggingFaceTB/SmolLM2-135M-Instruct", "models/SmolLM2-135M-Instruct.Q4_1.gguf"));
  CHECK(model_name_matches("SmolLM2-135M-Instruct", "/x/smollm2-135m-instruct-q8_0.gguf"));
  CHECK(model_name_matches("google/gemma-3-270m", "gemma-3-270m-f16.gguf"));
  CHECK(model_name_matches("google/gemma-3-270m", "gemma-3-270m"));
  CHECK_FALSE(model_name_matches("HuggingFaceTB/SmolLM2-135M", "models/SmolLM2-135M-Instruct.Q4_1.gguf"));
  CHECK_FALSE(model_name_matches("google/gemma-3-270m", "gemma-3-270m-it-Q4_0.gguf"));
  CHECK_FALSE(model_name_matches("SmolLM2-135M-Instruct", "other-SmolLM2-135M-Instruct.gguf"));
}

TEST_CASE("Wilson interval matches Newcombe (1998) Table I", "[claims]") {
  // Newcombe, "Two-sided confidence intervals for the single proportion", Stat Med 17:857,
  // method 3 (score interval without continuity correction), printed to 4 decimals.
  struct Row { int k, n; double lo, hi; };
  for (const Row& r : {Row{81, 263, 0.2553, 0.3662}, Row{15, 148, 0.0624, 0.1605}, Row{0, 20, 0.0, 0.1611},
                       Row{1, 29, 0.0061, 0.1718}}) {
    auto [lo, hi] = wilson_interval(double(r.k) / r.n, r.n);
    INFO(r.k << "/" << r.n);
    CHECK(std::fabs(lo - r.lo) < 5e-5);  // the table's rounding
    CHECK(std::fabs(hi - r.hi) < 5e-5);
  }
}

TEST_CASE("claims match runs by model, suite, shots and chat template; verdicts follow the interval", "[claims]") {
  TempDir tmp;
  auto st = ys::store::Store::open(tmp.path / "r.db");
  const std::string sha(64, 'a');
  // 40/100 right: Wilson [0.3094, 0.4980].
  const std::string full = add_run(st, "models/SmolLM2-135M-Instruct.Q4_1.gguf", sha, 5, false, 40, 100);
  add_run(st, "models/SmolLM2-135M-Instruct.Q4_1.gguf", sha, 5, false, 9, 10, {{"limit", 10}});  // newer, partial
  const std::string chat = add_run(st, "models/SmolLM2-135M-Instruct.Q4_1.gguf", sha, 0, true, 5, 20);
  add_run(st, "models/SmolLM2-135M.Q8_0.gguf", std::string(64, 'b'), 0, false, 20, 20);  // the base model

  ClaimsFile f = parse(R"({"model": "HuggingFaceTB/SmolLM2-135M-Instruct", "source": "s", "claims": [
    {"suite": "mmlu", "metric": "acc", "value": 45.0, "shots": 5, "chat_template": false},
    {"suite": "mmlu", "metric": "acc", "value": 55.0, "shots": 5, "chat_template": false},
    {"suite": "mmlu", "metric": "acc", "value": 25.0, "shots": 5, "chat_template": false},
    {"suite": "mmlu", "metric": "acc", "value": 30.0, "shots": 0, "chat_template": false},
    {"suite": "mmlu", "metric": "acc", "value": 30.0, "shots": 0, "chat_template": true},
    {"suite": "ifeval", "metric": "acc", "value": 30.0, "shots": 0, "chat_template": true},
    {"suite": "mmlu", "metric": "acc", "value": 30.0, "shots": 0, "chat_template": true, "not_checkable": "cloze formulation"}]})");
  ClaimsMatchOptions o;
  o.suite_known = [](const std::string& s) { return s == "mmlu"; };
  const ClaimsReport rep = check_claims(st, f, o);
  REQUIRE(rep.results.size() == 7);
  const ClaimResult& a = rep.results[0];
  CHECK(a.status == "checked");
  CHECK(a.run_id == full);  // the full run wins over the newer partial one
  CHECK(a.n == 100);
  CHECK(a.interval == "wilson");
  CHECK(*a.ci_lo == Approx(0.3094).margin(5e-5));
  CHECK(*a.ci_hi == Approx(0.4980).margin(5e-5));
  CHECK(a.verdict == "consistent");
  CHECK(*a.difference() == Approx(-0.05));
  CHECK_FALSE(a.partial);
  CHECK(rep.results[1].verdict == "below");
  CHECK(rep.results[2].verdict == "above");
  CHECK(rep.results[3].status == "no_run");  // 0 shots without chat template: no run (the base model's does not count)
  CHECK(rep.results[4].status == "checked");
  CHECK(rep.results[4].run_id == chat);
  CHECK(rep.results[4].verdict == "consistent");  // 5/20: [0.112, 0.469]
  CHECK(rep.results[5].status == "not_checkable");
  CHECK_THAT(rep.results[5].reason, Catch::Contains("no suite \"ifeval\""));
  CHECK(rep.results[6].status == "not_checkable");
  CHECK(rep.results[6].reason == "cloze formulation");

  // Matching by sha256: the base model's run is found for the base model's hash only.
  ClaimsMatchOptions by_sha = o;
  by_sha.model_sha256 = std::string(64, 'b');
  const ClaimsReport rb = check_claims(st, f, by_sha);
  CHECK(rb.results[3].status == "checked");
  CHECK(rb.results[3].verdict == "above");  // 20/20 right vs 30 %
  CHECK(rb.results[0].status == "no_run");

  // A partial run alone: the verdict carries the caveat.
  TempDir tmp2;
  auto st2 = ys::store::Store::open(tmp2.path / "r.db");
  add_run(st2, "SmolLM2-135M-Instruct.Q4_1.gguf", sha, 5, false, 3, 12, {{"limit", 12}});
  const ClaimsReport rp = check_claims(st2, f, o);
  CHECK(rp.results[0].status == "checked");
  CHECK(rp.results[0].partial);
  CHECK_THAT(rp.results[0].partial_note, Catch::Contains("--limit 12"));

  SECTION("renderings") {
    const std::string md = claims_markdown(rep);
    CHECK_THAT(md, Catch::Contains("| 1 | mmlu | acc | 5 | off | 45.00 % | 40.00 [30.94, 49.80] % | 100 | -5.00 | consistent |"));
    CHECK_THAT(md, Catch::Contains("| below |"));
    CHECK_THAT(md, Catch::Contains("not checkable"));
    CHECK_THAT(md, Catch::Contains("2 consistent, 1 below, 1 above, 3 not checked"));
    const json j = claims_json(rep);
    CHECK(j["schema"] == "yardstick-claims-check");
    CHECK(j["claims"][0]["verdict"] == "consistent");
    CHECK(j["claims"][0]["ci_low"].get<double>() == Approx(0.3094).margin(5e-5));
    CHECK(j["claims"][3]["verdict"].is_null());
    CHECK(j["counts"]["below"] == 1);
    const std::string html = claims_html_section(rep);
    CHECK_THAT(html, Catch::Contains("<table class=\"claims-table\">"));
    CHECK_THAT(html, Catch::Contains("<td class=\"fail\">below</td>"));
    const std::string page = with_html_section("<html><body><p>x</p></body></html>", html);
    CHECK(page.find("claims-table") < page.find("</body>"));
    const std::string md2 = claims_markdown(rp);
    CHECK_THAT(md2, Catch::Contains("(partial)"));
    CHECK_THAT(md2, Catch::Contains("not a random sample"));
  }
}

TEST_CASE("chat template: a run's protocol field decides, absent means off", "[claims]") {
  ys::store::RunRecord r;
  r.protocol_json = R"({"num_fewshot": 5})";
  CHECK_FALSE(run_protocol(r, 10).chat_template);
  CHECK(*run_protocol(r, 10).shots == 5);
  r.protocol_json = R"({"num_fewshot": 5, "chat_template": {"name": "chatml", "fewshot_as_multiturn": true}})";
  CHECK(run_protocol(r, 10).chat_template);
  r.protocol_json = R"({"num_fewshot": 5, "chat_template": false})";
  r.settings_json = R"({"chat_template": true})";
  CHECK_FALSE(run_protocol(r, 10).chat_template);  // the protocol wins over the settings
  r.protocol_json = R"({"num_fewshot": 0})";
  CHECK(run_protocol(r, 10).chat_template);  // no protocol field: the settings'
  r.settings_json = R"({"source": "lm-eval", "limit": 4, "n_original": 100})";
  const RunProtocol p = run_protocol(r, 4);
  CHECK(p.source == "lm-eval");
  CHECK(p.partial);
  CHECK_THAT(p.partial_note, Catch::Contains("4 of 100 documents"));
}

TEST_CASE("the shipped example claims files load", "[claims]") {
  const fs::path dir = fs::path(YS_SOURCE_DIR) / "claims";
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".json") continue;
    INFO(e.path());
    const ClaimsFile f = ys::runner::load_claims_file(e.path().string());
    CHECK(!f.claims.empty());
    CHECK(f.source.rfind("https://", 0) == 0);
    for (const Claim& c : f.claims) CHECK(!c.source.empty());  // every number says where it comes from
    ++files;
  }
  CHECK(files >= 2);
}

TEST_CASE("yardstick claims check: table, --fail-on below exits 3, bad files exit 1", "[claims][e2e]") {
  const std::string bin = std::string(YS_BINARY_DIR) + "/bin/yardstick";
  if (!fs::exists(bin)) {
    WARN("skipped: " << bin << " not built");
    return;
  }
  TempDir tmp;
  const std::string db = (tmp.path / "r.db").string();
  {
    auto st = ys::store::Store::open(db);
    add_run(st, "models/SmolLM2-135M-Instruct.Q4_1.gguf", std::string(64, 'a'), 5, false, 40, 100);
  }
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(tmp.path / name) << text;
    return (tmp.path / name).string();
  };
  const std::string ok = write("ok.json", R"({"model": "SmolLM2-135M-Instruct", "source": "s", "claims": [
    {"suite": "mmlu", "metric": "acc", "value": 45.0, "shots": 5, "chat_template": false, "source": "row 1"}]})");
  const std::string low = write("low.json", R"({"model": "SmolLM2-135M-Instruct", "source": "s", "claims": [
    {"suite": "mmlu", "metric": "acc", "value": 60.0, "shots": 5, "chat_template": false}]})");
  const std::string bad = write("bad.json", R"({"model": "SmolLM2-135M-Instruct", "source": "s", "claims": [], "x": 1})");
  const std::string out = (tmp.path / "out.md").string();
  CHECK(run_cmd(bin + " claims check " + ok + " --db " + db + " --fail-on below -o " + out + " 2>/dev/null") == 0);
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains("| consistent |"));
  CHECK(run_cmd(bin + " claims check " + low + " --db " + db + " --fail-on below >/dev/null 2>&1") == 3);
  CHECK(run_cmd(bin + " claims check " + low + " --db " + db + " >/dev/null 2>&1") == 0);  // no --fail-on: a report only
  CHECK(run_cmd(bin + " claims check " + low + " --db " + db + " --fail-on above >/dev/null 2>&1") == 0);
  CHECK(run_cmd(bin + " claims check " + bad + " --db " + db + " >/dev/null 2>&1") == 1);
  const std::string html = (tmp.path / "report.html").string();
  CHECK(run_cmd(bin + " report --db " + db + " --claims " + ok + " -o " + html + " 2>/dev/null") == 0);
  std::ifstream hin(html);
  std::string page((std::istreambuf_iterator<char>(hin)), std::istreambuf_iterator<char>());
  CHECK_THAT(page, Catch::Contains("class=\"claims-table\""));
  CHECK(page.find("claims-table") < page.find("</body>"));
}
