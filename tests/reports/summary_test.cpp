// `yardstick report` opens with what was asked: per suite, the score with its 95% interval
// and n, the time, and how far the sample is from a full run (extrapolated from the run's
// own time per document). Also: categories before subjects in the drill-down, the real
// thread count end to end.
#include "reports/overview.h"
#include "tests/reports/report_helpers.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <regex>
#include <chrono>
#include <thread>

using namespace ys::reports;
using namespace ys::test;

namespace {

// The text of the summary table's rows, tags stripped, one string per row.
std::vector<std::string> summary_rows(const std::string& html) {
  const size_t a = html.find("<section id=\"summary\">"), b = html.find("</section>", a);
  REQUIRE(a != std::string::npos);
  REQUIRE(b != std::string::npos);
  const std::string sec = html.substr(a, b - a);
  std::vector<std::string> rows;
  std::regex row(R"(<tr class="srow">(.*?)</tr>)");
  for (auto it = std::sregex_iterator(sec.begin(), sec.end(), row); it != std::sregex_iterator(); ++it)
    rows.push_back(std::regex_replace(std::string((*it)[1]), std::regex("<[^>]*>"), "|"));
  return rows;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Wilson score interval of k of n, from its textbook form.
std::pair<double, double> wilson(double k, double n) {
  const double z = 1.959964, p = k / n;
  const double center = (p + z * z / (2 * n)) / (1 + z * z / n);
  const double half = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n);
  return {center - half, center + half};
}

std::string fmt_interval(double lo, double hi) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "[%.2f, %.2f] %%", lo * 100, hi * 100);
  return buf;
}

}  // namespace

TEST_CASE("report summary: score, 95% interval, n, time and distance from a full run", "[reports][summary]") {
  TempDir dir;
  auto st = ys::store::Store::open(dir.path / "r.db");
  FakeRun old;
  old.acc = scores(40, 10);
  add_run(st, old);  // older run of the same suite/model/quant: not in the summary
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // created_at has millisecond resolution
  FakeRun a;
  a.acc = scores(100, 60);
  a.wall_s = 12;
  add_run(st, a);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // runs are listed in creation order
  FakeRun g = a;
  g.suite = "gsm8k";
  g.acc = scores(50, 5);
  g.wall_s = 600;
  g.settings_json = R"({"threads":0,"device":"cpu","shard":""})";  // stored before the real count was recorded
  add_run(st, g);

  const DatasetSizeFn size = [](const ys::store::RunRecord& r) -> std::optional<int64_t> {
    if (r.suite == "mmlu") return 14042;
    return std::nullopt;
  };
  Overview o = load_overview(st, size);
  REQUIRE(o.runs.size() == 3);
  const RunSummary& m = o.runs[1];
  CHECK(m.docs == 100);
  CHECK(m.full_docs == 14042);
  REQUIRE(m.headline_ci);
  const auto [lo, hi] = wilson(60, 100);  // 0/1 scores: Wilson, not ± 1.96 stderr
  CHECK(m.headline_ci->method == "wilson");
  CHECK(m.headline_ci->lo == Approx(lo));
  CHECK(m.headline_ci->hi == Approx(hi));
  // 12 s / 100 docs = 0.12 s per question; x 14,042 = 1685 s = 28 min.
  CHECK(sample_scope_text(m) ==
        "100 of 14,042 questions (0.7%); full run ≈ 28 min here at this run's 0.12 s per question (less in a full run, "
        "which reuses each subject's few-shot prefix)");
  CHECK_FALSE(o.runs[2].full_docs);
  CHECK(contains(sample_scope_text(o.runs[2]), "50 problems; the size of the full test set is unknown"));

  const std::string html = overview_html(o);
  const size_t summary = html.find("<section id=\"summary\">");
  REQUIRE(summary != std::string::npos);
  CHECK(summary < html.find("<h2>Runs"));
  CHECK(html.find("<h2") > summary);  // nothing before it but the title
  const auto rows = summary_rows(html);
  REQUIRE(rows.size() == 2);  // the newest mmlu run, and gsm8k
  INFO(rows[0]);
  CHECK(contains(rows[0], "|mmlu|"));
  CHECK(contains(rows[0], "acc 60.00 %"));
  CHECK(contains(rows[0], fmt_interval(lo, hi)));
  CHECK(contains(rows[0], "|100|"));
  CHECK(contains(rows[0], "|12.0 s|"));
  CHECK(contains(rows[0], "4 threads"));
  CHECK(contains(rows[0], "100 of 14,042 questions (0.7%); full run ≈ 28 min here"));
  INFO(rows[1]);
  CHECK(contains(rows[1], "|gsm8k|"));
  CHECK(contains(rows[1], "all cores"));
  CHECK(contains(rows[1], "|10 min|"));
  CHECK(contains(rows[1], fmt_interval(wilson(5, 50).first, wilson(5, 50).second)));
  CHECK(contains(rows[1], "|50 problems; the size of the full test set is unknown"));

  const std::string md = overview_markdown(o);
  CHECK(md.find("| suite | model · quant · threads | score |") < md.find("| model | suite |"));
}

TEST_CASE("report summary: an interval when one question per subject leaves no stderr", "[reports][summary]") {
  TempDir dir;
  auto st = ys::store::Store::open(dir.path / "r.db");
  FakeMmluRun f;
  for (int s = 0; s < 57; ++s) {
    f.subjects.emplace_back("subject" + std::to_string(s), s % 2 ? "stem" : "other");
    f.acc.push_back({s < 14 ? 1.0 : 0.0});
  }
  std::string id = add_mmlu_run(st, f);
  // The MMLU suite's pooled stderr is undefined with one document per subject.
  auto metrics = st.get_metrics(id);
  for (auto& mt : metrics)
    if (mt.name == "acc") mt.std_err = std::nullopt;
  st.set_metrics(id, metrics);
  Overview o = load_overview(st, [](const ys::store::RunRecord&) { return std::optional<int64_t>(14042); });
  REQUIRE(o.runs.size() == 1);
  REQUIRE(o.runs[0].headline_ci);
  CHECK(o.runs[0].headline_ci->method == "wilson");
  CHECK(o.runs[0].headline_ci->lo == Approx(wilson(14, 57).first));
  CHECK(o.runs[0].headline_ci->hi == Approx(wilson(14, 57).second));
  const std::string html = overview_html(o);
  const auto rows = summary_rows(html);
  REQUIRE(rows.size() == 1);
  CHECK(contains(rows[0], "[15.23, 37.10] %"));
  CHECK(contains(rows[0], "57 of 14,042 questions (0.4%)"));
  // Drill-down: the category chart, then the per-subject chart folded.
  const size_t cats = html.find("Accuracy by category"), subjects = html.find("<details class=\"subjects\">");
  REQUIRE(cats != std::string::npos);
  REQUIRE(subjects != std::string::npos);
  CHECK(cats < subjects);
  CHECK(html.find("Accuracy per subject") > subjects);
}

TEST_CASE("run + report end to end: real thread count, one question per subject, full-run line", "[reports][summary][e2e]") {
  E2eSetup e;
  if (!e.ready) return;
  const std::string &bin = e.bin, &d = e.d, &log = e.log, &model = e.model, &data = e.data;
  TempDir& dir = e.dir;
  const std::string db = d + "/r.db";
  INFO("log: " << read_file(dir.path / "log.txt"));
  // --threads 0 (the default): all cores; the run must record how many that was.
  REQUIRE(run_cmd(bin + " run --model " + model + " --suite mmlu --limit-per-subject 1 --data-dir " + data + " --db " + db + log) == 0);
  REQUIRE(run_cmd(bin + " report --db " + db + " --data-dir " + data + " --format json -o " + d + "/r.json" + log) == 0);
  REQUIRE(run_cmd(bin + " report --db " + db + " --data-dir " + data + " -o " + d + "/r.html" + log) == 0);
  const nlohmann::json j = nlohmann::json::parse(read_file(dir.path / "r.json"));
  REQUIRE(j["runs"].size() == 1);
  const auto& r = j["runs"][0];
  CHECK(r["threads"] == std::to_string(std::max(1u, std::thread::hardware_concurrency())));
  CHECK(r["docs"] == 57);
  CHECK(r["full_docs"] == 14042);
  CHECK(r["headline"]["n"] == 57);
  REQUIRE(r["headline_interval"].is_object());
  CHECK(r["headline_interval"]["low"].get<double>() <= r["headline"]["value"].get<double>());
  CHECK(r["headline_interval"]["high"].get<double>() >= r["headline"]["value"].get<double>());
  const auto rows = summary_rows(read_file(dir.path / "r.html"));
  REQUIRE(rows.size() == 1);
  CHECK(contains(rows[0], "57 of 14,042 questions (0.4%); full run ≈ "));
  // Without the data the size is unknown, and the report says so instead of guessing.
  REQUIRE(run_cmd(bin + " report --db " + db + " --data-dir " + d + "/nowhere -o " + d + "/r2.html" + log) == 0);
  CHECK(contains(summary_rows(read_file(dir.path / "r2.html"))[0], "57 questions; the size of the full test set is unknown"));
}
