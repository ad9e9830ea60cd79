// Renders the HTML reports in headless Chromium: the DOM has the tables and SVG charts, no
// console message or script error appears, and the screenshot is a non-blank PNG.
#include "reports/compare.h"
#include "reports/compare_report.h"
#include "reports/json_report.h"
#include "reports/overview.h"
#include "tests/reports/report_helpers.h"

#include <catch2/catch.hpp>
#include <zlib.h>

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
