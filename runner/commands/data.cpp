// `yardstick data import DIR | verify | list`: put the benchmark files into the data dir
// and check them against the manifest (datasets/manifest.json).
#include "common/error.h"
#include "datasets/manifest.h"
#include "runner/cli.h"

#include <fmt/core.h>

#include <filesystem>
#include <map>

namespace fs = std::filesystem;
using namespace ys::datasets;

namespace {

constexpr size_t kMaxListed = 10;

void print_list(const std::string& title, const std::vector<std::string>& items) {
  if (items.empty()) return;
  fmt::print("{} ({}):\n", title, items.size());
  for (size_t i = 0; i < items.size() && i < kMaxListed; ++i) fmt::print("  {}\n", items[i]);
  if (items.size() > kMaxListed) fmt::print("  ... and {} more\n", items.size() - kMaxListed);
}

// Missing files grouped: a wholly absent benchmark is one line, partial ones list files.
void print_missing(const std::vector<std::string>& missing, const std::string& where) {
  std::map<std::string, std::vector<std::string>> by_bench;
  for (const auto& p : missing) by_bench[find_entry(p)->benchmark].push_back(p);
  std::map<std::string, int> expected;
  for (const auto& e : manifest()) expected[e.benchmark]++;
  for (const auto& [bench, files] : by_bench) {
    if (static_cast<int>(files.size()) == expected[bench])
      fmt::print("{}: not in {} (0/{} files)\n", bench, where, expected[bench]);
    else
      print_list(fmt::format("{}: missing in {}", bench, where), files);
  }
}

void print_benchmarks(const std::vector<BenchmarkSummary>& benchmarks) {
  fmt::print("{:<10} {:>9} {:>8}  {}\n", "benchmark", "files", "rows", "status");
  for (const auto& b : benchmarks)
    fmt::print("{:<10} {:>4}/{:<4} {:>8}  {}\n", b.benchmark, b.files_ok, b.files_expected, b.rows_ok,
               b.complete() ? "complete" : b.files_ok == 0 ? "absent" : "incomplete");
}

int run_import(const std::string& src, const std::string& data_dir, bool copy) {
  DirReport r = import_dir(src, data_dir, copy);
  fmt::print("import {} -> {}: {} files placed ({}), {} already present\n", src, data_dir, r.placed.size(),
             copy ? "copied" : "hard-linked, or copied across filesystems", r.ok.size() - r.placed.size());
  print_missing(r.missing, src);
  print_list("ALTERED in " + src + ", not imported (get a clean copy)", r.altered);
  print_list("extra files in " + src + " not in the manifest (ignored)", r.extra);
  print_benchmarks(r.benchmarks);
  if (!r.altered.empty()) return ys::cli::kExitFailed;
  if (r.ok.empty()) {
    fmt::print(stderr, "yardstick: no dataset files found in {} (expected e.g. {}/mmlu/test/*.csv)\n", src, src);
    return ys::cli::kExitFailed;
  }
  return ys::cli::kExitOk;
}

int run_verify(const std::string& data_dir) {
  if (!fs::is_directory(data_dir))
    ys::fail(ys::ErrorKind::io, "data dir {} does not exist: run `yardstick data import /path/to/datasets` (see README)",
             data_dir);
  DirReport r = verify_dir(data_dir);
  fmt::print("verify {}: {} files ok (sha256), {} altered, {} missing\n", data_dir, r.ok.size(), r.altered.size(),
             r.missing.size());
  print_missing(r.missing, data_dir);
  print_list("ALTERED (re-run `yardstick data import`)", r.altered);
  print_list("extra files not in the manifest", r.extra);
  print_benchmarks(r.benchmarks);
  // Fails on altered files, on a benchmark with only some of its files, and on an empty
  // data dir; a wholly absent benchmark is fine (not everyone needs every suite).
  bool partial = false;
  for (const auto& b : r.benchmarks) partial = partial || (b.files_ok > 0 && !b.complete());
  if (r.ok.empty()) fmt::print(stderr, "yardstick: no dataset files in {}: run `yardstick data import DIR`\n", data_dir);
  else if (partial) fmt::print(stderr, "yardstick: incomplete benchmark(s) in {}: run `yardstick data import DIR`\n", data_dir);
  return r.altered.empty() && !partial && !r.ok.empty() ? ys::cli::kExitOk : ys::cli::kExitFailed;
}

int run_list(const std::string& data_dir, bool files) {
  struct Row {
    int present = 0, expected = 0;
    int64_t rows = 0, rows_expected = 0;
  };
  std::map<std::string, Row> rows;
  for (const auto& e : manifest()) {
    std::error_code ec;
    auto size = fs::file_size(fs::path(data_dir) / e.path, ec);
    bool present = !ec && static_cast<int64_t>(size) == e.bytes;
    Row& r = rows[e.benchmark];
    r.expected++;
    r.rows_expected += e.rows;
    if (present) {
      r.present++;
      r.rows += e.rows;
    }
    if (files) fmt::print("{:<8} {:>7} rows  {}\n", present ? "present" : ec ? "missing" : "size?", e.rows, e.path);
  }
  fmt::print("data dir {} (presence and size only; `yardstick data verify` checks sha256)\n", data_dir);
  fmt::print("{:<10} {:>9} {:>15}\n", "benchmark", "files", "rows");
  for (const auto& [name, r] : rows)
    fmt::print("{:<10} {:>4}/{:<4} {:>7}/{:<7}\n", name, r.present, r.expected, r.rows, r.rows_expected);
  return ys::cli::kExitOk;
}

struct DataArgs {
  std::string data_dir = ys::cli::default_data_dir();
  std::string src;
  bool link = false;
  bool files = false;
};

ys::cli::Registrar reg("data", "Import, verify and list the benchmark data files (checked against the manifest)",
                       [](CLI::App& app) -> ys::cli::RunFn {
                         auto args = std::make_shared<DataArgs>();
                         app.require_subcommand(1);
                         app.add_option("--data-dir", args->data_dir, "Data directory (env YARDSTICK_DATA)")
                             ->capture_default_str();
                         CLI::App* imp = app.add_subcommand("import", "Copy (or with --link hard-link) the dataset files from DIR and verify them");
                         imp->add_option("DIR", args->src, "Folder holding mmlu/, gsm8k/, humaneval/, wmt/")
                             ->required();
                         imp->add_flag("--link", args->link,
                                      "Hard-link instead of copying (saves disk; never edit the data dir then: the source changes too)");
                         CLI::App* ver = app.add_subcommand("verify", "Re-check the sha256 of every file present; exit 1 if a file is altered, a benchmark is partly present, or none is");
                         CLI::App* lst = app.add_subcommand("list", "Benchmarks, files present/expected, rows");
                         lst->add_flag("--files", args->files, "One line per file");
                         for (CLI::App* s : {imp, ver, lst}) s->fallthrough();
                         return [args, imp, ver] {
                           if (imp->parsed()) return run_import(args->src, args->data_dir, !args->link);
                           if (ver->parsed()) return run_verify(args->data_dir);
                           return run_list(args->data_dir, args->files);
                         };
                       });

}  // namespace
