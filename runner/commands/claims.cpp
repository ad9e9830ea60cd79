// `yardstick claims check CLAIMS.json`: a model card's published numbers against the runs in
// the store (reports/claims.h), optionally running the missing ones through the run
// pipeline (runner/pipeline.h). Exit 3 under --fail-on when a claim's verdict is the one
// named. The file format and the verdict rules: docs/claims.md.
#include "common/error.h"
#include "common/hash.h"
#include "reports/claims.h"
#include "reports/json_report.h"
#include "runner/cli.h"
#include "runner/pipeline.h"
#include "runner/claims_file.h"
#include "runner/settings.h"

#include <fmt/core.h>

#include <algorithm>
#include <filesystem>
#include <map>

namespace {

namespace rep = ys::reports;

struct ClaimsArgs {
  std::string file;
  std::string db = ys::cli::default_db_path();
  std::string data_dir = ys::cli::default_data_dir();
  std::string model;
  std::string format = "md", out, fail_on;
  bool run_missing = false;
  int64_t limit = 0, limit_per_subject = 0;
  int threads = 0;
};

// Runs each claim that has no matching run (the same pipeline as `yardstick run`); returns
// the errors of the claims that could not be run, by claim index.
std::map<size_t, std::string> run_missing(const ClaimsArgs& a, const rep::ClaimsReport& first, ys::store::Store& st) {
  std::map<size_t, std::string> errors;
  std::map<std::string, size_t> done;  // suite/shots/chat already run in this call
  for (size_t i = 0; i < first.results.size(); ++i) {
    const rep::ClaimResult& r = first.results[i];
    if (r.status != "no_run") continue;
    const std::string key = fmt::format("{}/{}/{}", r.claim.suite, r.claim.shots, r.claim.chat_template);
    if (done.count(key)) continue;
    done[key] = i;
    ys::runner::RunSettings s;
    s.model = a.model;
    s.suites = {r.claim.suite};
    s.num_fewshot = r.claim.shots;
    s.chat_template = r.claim.chat_template;
    s.limit = a.limit;
    s.limit_per_subject = r.claim.suite == "mmlu" ? a.limit_per_subject : 0;
    s.threads = a.threads;
    s.db = a.db;
    s.data_dir = a.data_dir;
    s.tag = "claims";
    fmt::print(stderr, "claims: running {} ({} shots, chat template {}) for claim {}\n", r.claim.suite, r.claim.shots,
               r.claim.chat_template ? "on" : "off", i + 1);
    try {
      ys::runner::validate(s);
      ys::runner::Pipeline(s, st).run();
    } catch (const ys::Error& e) {
      if (std::string(e.what()).find("interrupted") != std::string::npos) throw;
      errors[i] = fmt::format("could not run {}: {}", r.claim.suite, e.what());
      fmt::print(stderr, "claims: {}\n", errors[i]);
    }
  }
  return errors;
}

int run_check(ClaimsArgs a) {
  rep::ClaimsFile f = ys::runner::load_claims_file(a.file);
  if (a.run_missing && a.model.empty()) a.model = ys::cli::default_model_path();
  rep::ClaimsMatchOptions o = ys::runner::claims_match_options();
  if (!a.model.empty()) {
    if (!std::filesystem::exists(a.model)) ys::fail(ys::ErrorKind::io, "--model {}: no such file", a.model);
    o.model_sha256 = ys::sha256_file(a.model);
    if (!f.model_sha256.empty() && f.model_sha256 != o.model_sha256)
      ys::fail(ys::ErrorKind::invalid_input, "--model {}: sha256 {} differs from the claims file's model_sha256 {}", a.model,
               o.model_sha256, f.model_sha256);
    const std::string name = f.model_match.empty() ? f.model : f.model_match;
    if (!rep::model_name_matches(name, a.model))
      fmt::print(stderr, "warning: --model {} does not look like {} (matching runs by its sha256)\n", a.model, name);
  }
  if (!a.run_missing && !std::filesystem::exists(a.db))
    ys::fail(ys::ErrorKind::io, "no result database at {} (pass --db, or --run-missing to create it)", a.db);
  auto st = ys::store::Store::open(a.db);
  rep::ClaimsReport report = rep::check_claims(st, f, o);
  if (a.run_missing) {
    std::map<size_t, std::string> errors = run_missing(a, report, st);
    report = rep::check_claims(st, f, o);
    for (const auto& [i, msg] : errors) {
      // Every claim of that suite/shots/chat setting shares the failure.
      for (auto& r : report.results)
        if (r.status == "no_run" && r.claim.suite == report.results[i].claim.suite &&
            r.claim.shots == report.results[i].claim.shots && r.claim.chat_template == report.results[i].claim.chat_template)
          r.status = "error", r.reason = msg;
    }
  }
  if (a.format == "json") rep::emit(rep::json_text(rep::claims_json(report)), a.out);
  else if (a.format == "html") rep::emit(rep::claims_html_page(report), a.out);
  else rep::emit(rep::claims_markdown(report), a.out);
  if (!a.fail_on.empty()) {
    int bad = 0;
    for (const auto& r : report.results)
      if (r.verdict == a.fail_on || (a.fail_on == "any" && (r.verdict == "below" || r.verdict == "above"))) ++bad;
    if (bad > 0) {
      fmt::print(stderr, "claims: {} claim(s) {} (--fail-on {})\n", bad, a.fail_on == "any" ? "inconsistent" : a.fail_on,
                 a.fail_on);
      return ys::cli::kExitGateFailed;
    }
  }
  return ys::cli::kExitOk;
}

ys::cli::Registrar reg("claims", "Check a model card's published numbers (a claims file) against stored runs",
                       [](CLI::App& app) -> ys::cli::RunFn {
                         auto a = std::make_shared<ClaimsArgs>();
                         app.require_subcommand(1);
                         CLI::App* chk = app.add_subcommand(
                             "check", "For each claim: the matching run (or --run-missing runs it), measured value with "
                                      "95% interval and n, difference, verdict consistent/below/above");
                         chk->add_option("CLAIMS", a->file, "Claims file (JSON, docs/claims.md)")->required();
                         chk->add_option("--db", a->db, "Result database (env YARDSTICK_DB)")->capture_default_str();
                         chk->add_option("--model", a->model,
                                         "GGUF file the claims are checked on: runs are matched by its sha256 (default "
                                         "without it: by the claims file's model name; with --run-missing: $YARDSTICK_MODEL)");
                         chk->add_flag("--run-missing", a->run_missing, "Run the suite of every claim that has no matching run");
                         chk->add_option("--limit", a->limit, "--run-missing: only the first N documents (a partial sample)");
                         chk->add_option("--limit-per-subject", a->limit_per_subject,
                                         "--run-missing: MMLU, only the first N questions of each subject (a partial sample)");
                         chk->add_option("--data-dir", a->data_dir, "--run-missing: imported datasets (env YARDSTICK_DATA)")
                             ->capture_default_str();
                         chk->add_option("-t,--threads", a->threads, "--run-missing: CPU threads (0 = all cores)");
                         chk->add_option("--format", a->format, "Output format")
                             ->check(CLI::IsMember({"md", "json", "html"}))
                             ->capture_default_str();
                         chk->add_option("-o,--output", a->out, "Write here instead of stdout");
                         chk->add_option("--fail-on", a->fail_on, "Exit 3 when a claim's verdict is this (any = below or above)")
                             ->check(CLI::IsMember({"below", "above", "any"}));
                         return [a] { return run_check(*a); };
                       });

}  // namespace
