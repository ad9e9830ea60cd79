// The comparison page leads with pictures: a forest plot with one row per run and per
// headline/category metric whose intervals equal the paired intervals computed here from
// the per-document scores, a scatter of accuracy vs throughput, categories before subjects,
// and the per-subject rows folded into <details>.
#include "reports/compare.h"
#include "reports/compare_report.h"
#include "tests/reports/report_helpers.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <regex>

using namespace ys::reports;
using namespace ys::test;

namespace {

const std::vector<std::pair<std::string, std::string>> kSubjects = {
    {"abstract_algebra", "stem"},      {"anatomy", "stem"},  {"philosophy", "humanities"},
    {"sociology", "social_sciences"},  {"management", "other"}, {"virology", "other"}};
constexpr size_t kDocs = 20;

// Reference: doc i right unless i % 3 == 0; run k flips the docs with (7i + 3s + k) % 5 == 0.
std::vector<std::vector<double>> scores_of(int k) {
  std::vector<std::vector<double>> acc(kSubjects.size(), std::vector<double>(kDocs));
  for (size_t s = 0; s < kSubjects.size(); ++s)
    for (size_t i = 0; i < kDocs; ++i) {
      double x = i % 3 != 0 ? 1.0 : 0.0;
      if (k > 0 && (7 * i + 3 * s + static_cast<size_t>(k)) % 5 == 0) x = 1.0 - x;
      acc[s][i] = x;
    }
  return acc;
}

struct Wald {
  double delta, lo, hi;
};

// The paired difference (cand - ref) and its Wald interval, written out from the definition:
// d_i in {-1, 0, 1}, mean d, sample variance of d over n - 1, half width 1.959964 * sd / sqrt(n).
Wald wald(const std::vector<double>& ref, const std::vector<double>& cand) {
  const double n = static_cast<double>(ref.size());
  double sum = 0;
  for (size_t i = 0; i < ref.size(); ++i) sum += cand[i] - ref[i];
  const double mean = sum / n;
  double ss = 0;
  for (size_t i = 0; i < ref.size(); ++i) ss += (cand[i] - ref[i] - mean) * (cand[i] - ref[i] - mean);
  const double half = 1.959964 * std::sqrt(ss / (n - 1) / n);
  return {mean, mean - half, mean + half};
}

struct ForestMark {
  std::string group, run;
  double delta, lo, hi;
};

std::vector<ForestMark> forest_rows(const std::string& html) {
  std::regex re(R"re(<g class="frow" data-group="([^"]*)" data-run="([^"]*)" data-delta="([^"]*)" data-lo="([^"]*)" data-hi="([^"]*)">)re");
  std::vector<ForestMark> out;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), re); it != std::sregex_iterator(); ++it)
    out.push_back({(*it)[1], (*it)[2], std::stod((*it)[3]), std::stod((*it)[4]), std::stod((*it)[5])});
  return out;
}

}  // namespace

TEST_CASE("compare html: forest plot rows and intervals come from the data", "[reports][compare][html]") {
  TempDir dir;
  auto st = ys::store::Store::open(dir.path / "r.db");
  const char* quants[] = {"q8_0", "q5_0", "q4_1", "q4_0"};
  std::vector<RunData> runs;
  for (int k = 0; k < 4; ++k) {
    FakeMmluRun f;
    f.quant = quants[k];
    f.subjects = kSubjects;
    f.acc = scores_of(k);
    f.wall_s = 10.0 + k;
    runs.push_back(load_run(st, add_mmlu_run(st, f)));
  }
  Comparison c = compare_runs(runs, "quant", false);
  REQUIRE(c.labels == std::vector<std::string>{"quant=q8_0", "quant=q4_0", "quant=q4_1", "quant=q5_0"});

  // Order: headline, categories ("other" last), aggregates, then subjects.
  std::vector<std::string> names;
  for (const auto& row : c.metrics) names.push_back(row.name);
  REQUIRE(names.size() == 1 + 4 + 1 + kSubjects.size());
  CHECK(std::vector<std::string>(names.begin(), names.begin() + 6) ==
        std::vector<std::string>{"acc", "acc/humanities", "acc/social_sciences", "acc/stem", "acc/other", "acc_macro"});
  for (size_t i = 6; i < names.size(); ++i) CHECK(c.metrics[i].group == MetricGroup::subject);
  CHECK(c.metrics[1].group == MetricGroup::category);
  CHECK(c.metrics[5].group == MetricGroup::aggregate);

  const std::string html = compare_html(c, nullptr);
  const auto rows = forest_rows(html);
  REQUIRE(rows.size() == 3 * 5);  // three runs x (headline + four categories)

  // Expected intervals, from the raw scores.
  std::map<std::string, int> k_of = {{"quant=q5_0", 1}, {"quant=q4_1", 2}, {"quant=q4_0", 3}};
  for (const auto& r : rows) {
    INFO(r.group << " / " << r.run);
    REQUIRE(k_of.count(r.run));
    const auto ref = scores_of(0), cand = scores_of(k_of[r.run]);
    std::vector<double> a, b;
    for (size_t s = 0; s < kSubjects.size(); ++s) {
      const bool in = r.group == "acc (headline)" || r.group == "acc/" + kSubjects[s].second;
      if (!in) continue;
      a.insert(a.end(), ref[s].begin(), ref[s].end());
      b.insert(b.end(), cand[s].begin(), cand[s].end());
    }
    REQUIRE(!a.empty());
    const Wald w = wald(a, b);
    // %.6g in the SVG: 6 significant digits.
    CHECK(r.delta == Approx(w.delta * 100).margin(1e-4));
    CHECK(r.lo == Approx(w.lo * 100).margin(1e-4));
    CHECK(r.hi == Approx(w.hi * 100).margin(1e-4));
  }
  // Headline group first, then the categories in table order.
  CHECK(rows.front().group == "acc (headline)");
  CHECK(rows.back().group == "acc/other");

  // Scatter of accuracy vs throughput with one point per run.
  CHECK(html.find("acc vs throughput") != std::string::npos);
  CHECK(html.find("<h2>At a glance</h2>") < html.find("<h2>Metrics</h2>"));

  // Per-subject rows only inside the folded section; categories in the main table.
  const size_t details = html.find("<details id=\"subjects\">"), end = html.find("</details>", details);
  REQUIRE(details != std::string::npos);
  REQUIRE(end != std::string::npos);
  for (const auto& [subject, category] : kSubjects) {
    const size_t at = html.find("<td>acc/" + subject + "</td>");
    CHECK(at > details);
    CHECK(at < end);
    CHECK(html.find("<td>acc/" + subject + "</td>", at + 1) == std::string::npos);
  }
  for (const char* cat : {"stem", "humanities", "social_sciences", "other"}) CHECK(html.find(std::string("<td>acc/") + cat + "</td>") < details);

  const nlohmann::json j = compare_json(c, nullptr);
  CHECK(j["metrics"][1]["group"] == "category");
  CHECK(j["metrics"][6]["group"] == "subject");

  // Markdown keeps the same order: categories before subjects.
  const std::string md = compare_markdown(c, nullptr);
  CHECK(md.find("| acc/other |") < md.find("| acc/abstract_algebra |"));
}

TEST_CASE("metric_interval: Wilson for means of 0/1 scores, else normal from stderr", "[reports][interval]") {
  // No per-document scores: value ± 1.96 stderr.
  ys::store::MetricRecord m{"acc", 0.25, 0.05, 57, true};
  auto iv = metric_interval(m, {}, true);
  REQUIRE(iv);
  CHECK(iv->method == "normal");
  CHECK(iv->lo == Approx(0.25 - 1.959964 * 0.05));
  CHECK(iv->hi == Approx(0.25 + 1.959964 * 0.05));

  // 14 of 57 right: the Wilson interval, whether or not the metric has a stderr.
  std::vector<double> xs(57, 0.0);
  for (int i = 0; i < 14; ++i) xs[i] = 1.0;
  for (std::optional<double> se : {std::optional<double>(), std::optional<double>(0.057)}) {
    m = {"acc", 14.0 / 57, se, 57, true};
    iv = metric_interval(m, xs, true);
    REQUIRE(iv);
    CHECK(iv->method == "wilson");
    const double z = 1.959964, n = 57, p = 14.0 / 57;
    CHECK(iv->lo < p);
    CHECK(iv->hi > p);
    // The defining property: each bound q solves |p - q| = z sqrt(q (1 - q) / n).
    for (double q : {iv->lo, iv->hi}) CHECK(std::fabs(p - q) == Approx(z * std::sqrt(q * (1 - q) / n)).epsilon(1e-9));
  }
  // 0 of 3 right: stderr 0 would give [0, 0]; Wilson's upper bound is z²/(n + z²).
  m = {"exact_match", 0.0, 0.0, 3, true};
  iv = metric_interval(m, {0.0, 0.0, 0.0}, true);
  REQUIRE(iv);
  CHECK(iv->lo == Approx(0.0).margin(1e-12));
  CHECK(iv->hi == Approx(1.959964 * 1.959964 / (3 + 1.959964 * 1.959964)));

  // Not the mean of these scores, or not 0/1: back to the stderr, or nothing when there is none.
  m = {"acc", 0.5, std::nullopt, 57, true};
  CHECK_FALSE(metric_interval(m, xs, true));
  xs[0] = 0.5;
  m = {"acc", 13.5 / 57, std::nullopt, 57, true};
  CHECK_FALSE(metric_interval(m, xs, true));
  m.std_err = 0.05;
  iv = metric_interval(m, xs, true);
  REQUIRE(iv);
  CHECK(iv->method == "normal");
}
