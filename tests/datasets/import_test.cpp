// Importing the datasets into a data dir, verifying it, and catching altered files.
#include "common/error.h"
#include "datasets/manifest.h"

#include <catch2/catch.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <random>

namespace fs = std::filesystem;
using namespace ys::datasets;

fs::path shared_datasets();  // manifest_test.cpp

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("ys-data-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

bool have_shared() {
  if (fs::is_directory(shared_datasets())) return true;
  WARN("shared datasets not found at " << shared_datasets() << " (set YARDSTICK_SHARED_DATA); skipping");
  return false;
}

// A writable copy of some benchmark's files (we own them, so hard links are allowed).
void copy_benchmark(const fs::path& to, const std::string& benchmark) {
  for (const auto& e : manifest()) {
    if (e.benchmark != benchmark) continue;
    fs::create_directories((to / e.path).parent_path());
    fs::copy_file(shared_datasets() / e.path, to / e.path);
    fs::permissions(to / e.path, fs::perms::owner_write, fs::perm_options::add);
  }
}

void flip_byte(const fs::path& p, std::streamoff at) {
  auto mtime = fs::last_write_time(p);
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(at);
  char c = 0;
  f.get(c);
  f.seekp(at);
  f.put(static_cast<char>(c ^ 0x20));
  f.close();
  fs::last_write_time(p, mtime + std::chrono::seconds(5));  // a later edit, even on coarse clocks
}

const BenchmarkSummary* summary(const DirReport& r, const std::string& name) {
  for (const auto& b : r.benchmarks)
    if (b.benchmark == name) return &b;
  return nullptr;
}

}  // namespace

TEST_CASE("import everything from the shared datasets and verify") {
  if (!have_shared()) return;
  TempDir data;
  DirReport r = import_dir(shared_datasets(), data.path / "data", false);
  CHECK(r.missing.empty());
  CHECK(r.altered.empty());
  CHECK(r.extra.empty());  // SOURCE.md / README.md are ignored
  CHECK(r.placed.size() == manifest().size());
  CHECK(r.ok.size() == manifest().size());
  REQUIRE(r.benchmarks.size() == 4);
  for (const auto& b : r.benchmarks) CHECK(b.complete());
  CHECK(summary(r, "mmlu")->rows_ok == 14042 + 285 + 1531);

  DirReport again = import_dir(shared_datasets(), data.path / "data", false);
  CHECK(again.placed.empty());
  CHECK(again.ok.size() == manifest().size());

  DirReport v = verify_dir(data.path / "data");
  CHECK(v.ok.size() == manifest().size());
  CHECK(v.missing.empty());
  CHECK(v.altered.empty());
  CHECK(require_file(data.path / "data", "gsm8k/test.jsonl") == find_entry("gsm8k/test.jsonl")->sha256);
}

TEST_CASE("a partial source lists missing and extra files and names complete benchmarks") {
  if (!have_shared()) return;
  TempDir src, data;
  copy_benchmark(src.path, "gsm8k");
  { std::ofstream(src.path / "gsm8k" / "notes.txt") << "not a dataset file\n"; }
  DirReport r = import_dir(src.path, data.path, false);
  CHECK(r.placed.size() == 2);
  CHECK(r.missing.size() == manifest().size() - 2);
  REQUIRE(r.extra.size() == 1);
  CHECK(r.extra[0] == "gsm8k/notes.txt");
  CHECK(summary(r, "gsm8k")->complete());
  CHECK_FALSE(summary(r, "mmlu")->complete());
  CHECK(summary(r, "mmlu")->files_ok == 0);
  // We own the source files, so the import hard-linked them.
  struct stat a {}, b {};
  REQUIRE(stat((src.path / "gsm8k/test.jsonl").c_str(), &a) == 0);
  REQUIRE(stat((data.path / "gsm8k/test.jsonl").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);

  TempDir copied;
  import_dir(src.path, copied.path, true);
  REQUIRE(stat((copied.path / "gsm8k/test.jsonl").c_str(), &b) == 0);
  CHECK(a.st_ino != b.st_ino);  // --copy
}

TEST_CASE("an altered source file is reported and not imported") {
  if (!have_shared()) return;
  TempDir src, data;
  copy_benchmark(src.path, "humaneval");
  flip_byte(src.path / "humaneval/HumanEval.jsonl.gz", 100);
  { std::ofstream(src.path / "humaneval/HumanEvalPlus.jsonl.gz", std::ios::app) << "x"; }
  DirReport r = import_dir(src.path, data.path, false);
  REQUIRE(r.altered.size() == 2);
  CHECK_THAT(r.altered[0], Catch::StartsWith("humaneval/HumanEval.jsonl.gz: sha256 "));
  CHECK_THAT(r.altered[0], Catch::Contains("expected b796127e"));
  CHECK_THAT(r.altered[1], Catch::Contains("size 925933 bytes, expected 925932"));
  CHECK(r.placed.empty());
  CHECK_FALSE(fs::exists(data.path / "humaneval/HumanEval.jsonl.gz"));
}

TEST_CASE("require_file fails on missing or altered files with a message that says how to fix it") {
  if (!have_shared()) return;
  TempDir data;
  try {
    require_file(data.path, "gsm8k/test.jsonl");
    FAIL("expected an error");
  } catch (const ys::Error& e) {
    CHECK(e.kind() == ys::ErrorKind::io);
    CHECK_THAT(e.what(), Catch::Contains((data.path / "gsm8k/test.jsonl").string()));
    CHECK_THAT(e.what(), Catch::Contains("yardstick data import"));
  }
  copy_benchmark(data.path, "gsm8k");
  CHECK(require_file(data.path, "gsm8k/test.jsonl") == find_entry("gsm8k/test.jsonl")->sha256);
  flip_byte(data.path / "gsm8k/test.jsonl", 1000);  // same size, new mtime: the cache must not hide it
  try {
    require_file(data.path, "gsm8k/test.jsonl");
    FAIL("expected an error");
  } catch (const ys::Error& e) {
    CHECK(e.kind() == ys::ErrorKind::format);
    CHECK_THAT(e.what(), Catch::Contains("gsm8k/test.jsonl"));
    CHECK_THAT(e.what(), Catch::Contains("does not match the manifest"));
    CHECK_THAT(e.what(), Catch::Contains("yardstick data import"));
  }
  DirReport v = verify_dir(data.path);
  REQUIRE(v.altered.size() == 1);
  CHECK_THAT(v.altered[0], Catch::StartsWith("gsm8k/test.jsonl: sha256"));
  // Importing a good copy replaces the altered file.
  DirReport r = import_dir(shared_datasets(), data.path, false);
  CHECK(r.altered.empty());
  CHECK(require_file(data.path, "gsm8k/test.jsonl") == find_entry("gsm8k/test.jsonl")->sha256);
  CHECK_THROWS_WITH(require_file(data.path, "gsm8k/nope.jsonl"), Catch::Contains("not in the manifest"));
}

TEST_CASE("import refuses a source that is not a directory") {
  TempDir data;
  CHECK_THROWS_WITH(import_dir(data.path / "nope", data.path / "d", false), Catch::Contains("not a directory"));
}
