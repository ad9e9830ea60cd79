// Renders the HTML reports in headless Chromium: the DOM has the tables and SVG charts, no
// console message or script error appears, and the screenshot is a non-blank PNG.
#include "reports/compare.h"
#include "reports/compare_report.h"
#include "reports/json_report.h"
#include "reports/overview.h"
#include "tests/reports/report_helpers.h"

#include <catch2/catch.hpp>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <set>

using namespace ys::test;

namespace {

std::string find_chromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"})
    if (std::filesystem::exists(p)) return p;
  return "";
}

uint32_t be32(const std::string& s, size_t at) {
  return (uint32_t(uint8_t(s[at])) << 24) | (uint32_t(uint8_t(s[at + 1])) << 16) | (uint32_t(uint8_t(s[at + 2])) << 8) |
         uint32_t(uint8_t(s[at + 3]));
}

// Distinct byte values in the inflated IDAT stream of a PNG (a one-colour image has very few).
size_t png_distinct_bytes(const std::string& png, uint32_t& width, uint32_t& height) {
  REQUIRE(png.size() > 33);
  REQUIRE(png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0);
  width = be32(png, 16), height = be32(png, 20);
  std::string idat;
  for (size_t at = 8; at + 12 <= png.size();) {
    uint32_t len = be32(png, at);
    if (at + 12 + len > png.size()) break;
    if (png.compare(at + 4, 4, "IDAT") == 0) idat.append(png, at + 8, len);
    at += 12 + len;
  }
  std::vector<unsigned char> out(1 << 20);
  z_stream z{};
  REQUIRE(inflateInit(&z) == Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(idat.data());
  z.avail_in = static_cast<uInt>(idat.size());
  std::set<unsigned char> seen;
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&z, Z_NO_FLUSH);
    for (size_t i = 0; i < out.size() - z.avail_out; ++i) seen.insert(out[i]);
  }
  inflateEnd(&z);
  return seen.size();
}

}  // namespace

TEST_CASE("headless Chromium renders the HTML reports", "[reports][html][chromium]") {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    WARN("chromium is not installed (tools/setup.sh installs it); skipping");
    return;
  }
  TempDir dir;
  auto st = ys::store::Store::open(dir.path / "r.db");
  FakeRun a;
  a.acc = scores(60, 36);
  FakeRun b = a;
  b.quant = "q4_0";
  b.acc = scores(60, 30);
  b.wall_s = 6;
  b.output_text = "<script>alert(1)</script><img src=x onerror=alert(2)>";
  std::string ia = add_run(st, a), ib = add_run(st, b);
  const auto page = dir.path / "report.html", cmp = dir.path / "compare.html";
  ys::reports::emit(ys::reports::overview_html(ys::reports::load_overview(st)), page.string());
  std::vector<ys::reports::RunData> runs = {ys::reports::load_run(st, ia), ys::reports::load_run(st, ib)};
  auto flips = ys::reports::find_flips(runs[0], runs[1], "");
  ys::reports::emit(ys::reports::compare_html(ys::reports::compare_runs(runs, "quant", false), &flips), cmp.string());

  const std::string flags = " --headless --disable-gpu --no-sandbox --window-size=1200,2000 --enable-logging=stderr --v=0 ";
  for (const auto& f : {page, cmp}) {
    INFO(f.string());
    const auto dom = dir.path / "dom.html", err = dir.path / "err.txt", png = dir.path / "shot.png";
    REQUIRE(run_cmd("timeout 120 " + chromium + flags + "--dump-dom file://" + f.string() + " >" + dom.string() + " 2>" +
                    err.string()) == 0);
    std::string d = read_file(dom), e = read_file(err);
    CHECK(d.find("<table") != std::string::npos);
    CHECK(d.find("<svg") != std::string::npos);
    CHECK(d.find("<script") == std::string::npos);  // the hostile output stayed text
    CHECK(e.find(":CONSOLE") == std::string::npos);
    CHECK(e.find("Uncaught") == std::string::npos);
    if (f == cmp) CHECK(d.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos);
    if (f == page) CHECK(d.find("id=\"runs\"") != std::string::npos);
    REQUIRE(run_cmd("timeout 120 " + chromium + flags + "--screenshot=" + png.string() + " file://" + f.string() +
                    " >/dev/null 2>&1") == 0);
    std::string bytes = read_file(png);
    CHECK(bytes.size() > 20000);
    uint32_t w = 0, h = 0;
    CHECK(png_distinct_bytes(bytes, w, h) > 20);
    CHECK(w == 1200);
    CHECK(h == 2000);
  }
}

namespace {

// A copy of `page` that opens every <details>, then writes the page's scroll width, the
// viewport width and each table wrapper (.tw) wider than its box into <pre id="ys-measure">.
// The copy drops the page's Content-Security-Policy (which forbids scripts) for the check.
std::string measured_copy(std::string html) {
  const size_t csp = html.find("<meta http-equiv=\"Content-Security-Policy\"");
  REQUIRE(csp != std::string::npos);
  html.erase(csp, html.find('>', csp) + 1 - csp);
  const std::string script = R"js(<pre id="ys-measure"></pre><script>
document.querySelectorAll('details').forEach(function (d) { d.open = true; });
var over = [];
document.querySelectorAll('.tw').forEach(function (e, i) {
  if (e.scrollWidth > e.clientWidth + 1) over.push((e.firstElementChild && e.firstElementChild.id || 'tw' + i) + ' ' + e.scrollWidth + ' vs ' + e.clientWidth);
});
document.getElementById('ys-measure').textContent = 'page=' + document.documentElement.scrollWidth + ' view=' + window.innerWidth + ' over=[' + over.join(', ') + ']';
</script>)js";
  html.insert(html.rfind("</body>"), script);
  return html;
}

}  // namespace

TEST_CASE("Chromium: the comparison of four runs and the report fit the page width", "[reports][html][chromium]") {
  const std::string chromium = find_chromium();
  if (chromium.empty()) {
    WARN("chromium is not installed (tools/setup.sh installs it); skipping");
    return;
  }
  TempDir dir;
  auto st = ys::store::Store::open(dir.path / "r.db");
  std::vector<ys::reports::RunData> runs;
  const char* quants[] = {"q8_0", "q4_0", "q4_1", "q5_0"};
  for (int k = 0; k < 4; ++k) {
    FakeMmluRun f;
    f.quant = quants[k];
    for (int s = 0; s < 57; ++s) {
      f.subjects.emplace_back("high_school_government_and_politics_" + std::to_string(s),
                              s % 4 == 0 ? "stem" : s % 4 == 1 ? "humanities" : s % 4 == 2 ? "social_sciences" : "other");
      std::vector<double> acc(5);
      for (int i = 0; i < 5; ++i) acc[i] = (i + s + k) % 3 == 0 ? 1.0 : 0.0;
      f.acc.push_back(acc);
    }
    runs.push_back(ys::reports::load_run(st, add_mmlu_run(st, f)));
  }
  const auto cmp = dir.path / "compare.html", page = dir.path / "report.html";
  ys::reports::emit(measured_copy(ys::reports::compare_html(ys::reports::compare_runs(runs, "quant", false), nullptr)),
                    cmp.string());
  ys::reports::emit(measured_copy(ys::reports::overview_html(ys::reports::load_overview(st))), page.string());
  for (const auto& f : {cmp, page}) {
    for (int width : {1200, 500}) {  // 500: the narrowest window headless Chromium makes
      INFO(f.string() << " at width " << width);
      const auto dom = dir.path / "dom.html";
      REQUIRE(run_cmd("timeout 120 " + chromium + " --headless --disable-gpu --no-sandbox --window-size=" +
                      std::to_string(width) + ",2000 --dump-dom file://" + f.string() + " >" + dom.string() +
                      " 2>/dev/null") == 0);
      const std::string d = read_file(dom);
      const size_t at = d.find("page=");
      REQUIRE(at != std::string::npos);
      const std::string m = d.substr(at, d.find("</pre>", at) - at);
      INFO(m);
      int page_w = 0, view_w = 0;
      REQUIRE(std::sscanf(m.c_str(), "page=%d view=%d", &page_w, &view_w) == 2);
      CHECK(view_w == width);
      CHECK(page_w <= view_w);  // nothing runs off the right edge of the page
      // On a desktop every table fits its box; on a phone a wide table may scroll inside it.
      if (width == 1200) CHECK(m.find("over=[]") != std::string::npos);
    }
  }
}
