// `yardstick metric` prints sacrebleu's score lines (fixture: tests/fixtures/sacrebleu/corpora.json).
// Runs the binary of this build tree; WARN + skip when it has not been built.
#include "tests/metrics/fixtures.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

std::string run(const std::string& cmd, int& rc) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  rc = pclose(p);
  return out;
}

void write_lines(const fs::path& path, const std::vector<std::string>& lines) {
  std::ofstream f(path, std::ios::binary);
  for (const auto& l : lines) f << l << "\n";
}

}  // namespace

TEST_CASE("yardstick metric prints sacrebleu's BLEU and chrF lines") {
  const fs::path bin = fs::path(YS_BINARY_DIR) / "bin" / "yardstick";
  if (!fs::exists(bin)) {
    WARN("yardstick binary not built at " << bin.string() << "; skipped");
    return;
  }
  const auto fx = ys_test::load_sacrebleu_fixture("corpora.json");
  const fs::path dir = fs::temp_directory_path() / ("ys_metric_cli_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* name : {"multi_ref", "entities", "unicode_ws"}) {
    const nlohmann::json* c = nullptr;
    for (const auto& x : fx["cases"])
      if (x["name"] == name) c = &x;
    REQUIRE(c != nullptr);
    INFO("case " << name);
    write_lines(dir / "hyp", ys_test::strings((*c)["hyps"]));
    std::string refs;
    const auto streams = ys_test::streams((*c)["refs"]);
    for (size_t r = 0; r < streams.size(); ++r) {
      const fs::path rp = dir / ("ref" + std::to_string(r));
      write_lines(rp, streams[r]);
      refs += " --ref '" + rp.string() + "'";
    }
    const std::string base = "'" + bin.string() + "' metric {} --width 2 --hyp '" + (dir / "hyp").string() + "'" + refs;
    int rc = -1;
    const std::string bleu = run(fmt::format(fmt::runtime(base), "bleu"), rc);
    CHECK(rc == 0);
    CHECK(bleu == (*c)["bleu"]["line"].get<std::string>() + "\n");
    const std::string chrf = run(fmt::format(fmt::runtime(base), "chrf"), rc);
    CHECK(chrf == (*c)["chrf"]["line"].get<std::string>() + "\n");
  }
  int rc = 0;
  run("'" + bin.string() + "' metric bleu --hyp '" + (dir / "hyp").string() + "' --ref /nonexistent 2>/dev/null", rc);
  CHECK(rc != 0);
  fs::remove_all(dir);
}
