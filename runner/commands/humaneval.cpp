// `yardstick humaneval score --samples FILE.jsonl`: scores completions produced elsewhere
// (openai/human-eval's samples format: one JSON object per line with "task_id" and
// "completion") in the sandbox, and prints pass@k plus per-problem results.
#include "common/error.h"
#include "datasets/humaneval.h"
#include "runner/cli.h"
#include "suites/humaneval/humaneval.h"
#include "suites/humaneval/plus_program.h"
#include "suites/humaneval/sandbox.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <array>
#include <fstream>
#include <map>
#include <memory>

namespace {

namespace he = ys::suites::humaneval;

struct ScoreOptions {
  std::string samples;
  std::string data_dir = ys::cli::default_data_dir();
  double timeout = 3.0;
  int workers = 0;
  bool unsafe = false;
  bool json = false;
  bool plus = false;
  std::string output;
};

struct Completion {
  std::string task_id, completion;
  size_t problem = 0;
};

constexpr size_t kMaxLine = size_t{4} << 20;

std::vector<Completion> read_samples(const std::string& path, const std::map<std::string, size_t>& index) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ys::fail(ys::ErrorKind::io, "--samples {}: cannot open for reading", path);
  std::vector<Completion> out;
  std::string line;
  for (size_t no = 1; std::getline(in, line); ++no) {
    if (line.size() > kMaxLine) ys::fail(ys::ErrorKind::format, "{}:{}: line longer than {} bytes", path, no, kMaxLine);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      ys::fail(ys::ErrorKind::format, "{}:{}: not valid JSON ({})", path, no, e.what());
    }
    if (!j.is_object() || !j.contains("task_id") || !j["task_id"].is_string() || !j.contains("completion") ||
        !j["completion"].is_string())
      ys::fail(ys::ErrorKind::format, "{}:{}: expected an object with string fields \"task_id\" and \"completion\"",
               path, no);
    Completion c{j["task_id"].get<std::string>(), j["completion"].get<std::string>(), 0};
    auto it = index.find(c.task_id);
    if (it == index.end())
      ys::fail(ys::ErrorKind::format, "{}:{}: unknown task_id \"{}\" (expected HumanEval/0 .. HumanEval/163)", path,
               no, c.task_id);
    c.problem = it->second;
    out.push_back(std::move(c));
  }
  if (out.empty()) ys::fail(ys::ErrorKind::format, "--samples {}: no samples", path);
  return out;
}

using PerProblem = std::map<size_t, std::array<int64_t, 3>>;  // problem -> (n, c, c_plus)

// human-eval's <samples>_results.jsonl; with --plus, the HumanEval+ results follow.
void write_results(const ScoreOptions& o, const std::vector<Completion>& samples,
                   const std::vector<he::RunResult>& all) {
  std::ofstream out(o.output, std::ios::binary);
  if (!out) ys::fail(ys::ErrorKind::io, "-o {}: cannot open for writing", o.output);
  for (size_t i = 0; i < samples.size(); ++i)
    out << nlohmann::json{{"task_id", samples[i].task_id},
                          {"completion", samples[i].completion},
                          {"result", he::result_string(all[i])},
                          {"passed", all[i].outcome == he::Outcome::passed}}
                   .dump()
        << "\n";
  if (o.plus)
    for (size_t i = 0; i < samples.size(); ++i)
      out << nlohmann::json{{"task_id", samples[i].task_id},
                            {"plus", true},
                            {"result", he::result_string(all[samples.size() + i])},
                            {"passed", all[samples.size() + i].outcome == he::Outcome::passed}}
                     .dump()
          << "\n";
  if (!out) ys::fail(ys::ErrorKind::io, "-o {}: write failed", o.output);
}

void print_summary(const ScoreOptions& o, const std::string& mode,
                   const std::vector<ys::datasets::HumanEvalProblem>& problems, const PerProblem& per,
                   const std::vector<ys::suites::Metric>& metrics, size_t n_samples, size_t retried) {
  if (o.json) {
    nlohmann::json j = {
        {"sandbox", mode}, {"problems", per.size()}, {"samples", n_samples}, {"sandbox_retried", retried}};
    for (const auto& m : metrics) j[m.name] = {{"value", m.value}, {"stderr", m.stderr_}, {"n", m.n}};
    nlohmann::json probs = nlohmann::json::object();
    for (const auto& [p, nc] : per) {
      probs[problems[p].task_id] = {{"n", nc[0]}, {"passed", nc[1]}};
      if (o.plus) probs[problems[p].task_id]["passed_plus"] = nc[2];
    }
    j["per_problem"] = probs;
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("sandbox: {}   problems: {}/{}   samples: {}{}\n", mode, per.size(), problems.size(), n_samples,
               retried ? fmt::format("   ({} programs needed more than one sandbox start)", retried) : "");
    for (const auto& [p, nc] : per)
      fmt::print("  {:<15} {}/{} passed{}\n", problems[p].task_id, nc[1], nc[0],
                 o.plus ? fmt::format(", {}/{} with HumanEval+ inputs", nc[2], nc[0]) : "");
    for (const auto& m : metrics)
      fmt::print("{} = {:.4f} (stderr {:.4f}, {} problems)\n", m.name, m.value, m.stderr_, m.n);
  }
}

int run_score(const ScoreOptions& o) {
  auto problems = ys::datasets::load_humaneval(o.data_dir);
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < problems.size(); ++i) index[problems[i].task_id] = i;
  auto samples = read_samples(o.samples, index);

  he::SandboxOptions so;
  so.limits.timeout_s = o.timeout;
  so.workers = o.workers;
  so.unsafe_no_sandbox = o.unsafe;
  he::Sandbox sandbox(so);
  std::vector<std::string> programs;
  for (const auto& s : samples) programs.push_back(he::build_program(problems[s.problem], s.completion));
  std::vector<ys::datasets::HumanEvalProblem> plus;
  if (o.plus) {
    auto loaded = ys::datasets::load_humaneval_plus(o.data_dir);
    if (!loaded)
      ys::fail(ys::ErrorKind::io, "--plus: {}/{} not found (run `yardstick data import`)", o.data_dir,
               ys::datasets::kHumanEvalPlusPath);
    plus = std::move(*loaded);
    if (plus.size() != problems.size())
      ys::fail(ys::ErrorKind::format, "--plus: HumanEval+ has {} problems, HumanEval {}", plus.size(),
               problems.size());
    for (const auto& s : samples) programs.push_back(he::build_plus_program(plus[s.problem], s.completion));
  }
  auto all = sandbox.run_all(programs);  // throws when the sandbox could not start a program
  size_t retried = 0;
  for (const auto& r : all) {
    if (r.outcome == he::Outcome::sandbox_error)  // never scored as the model's failure
      ys::fail(ys::ErrorKind::internal, "humaneval: a sandbox error reached scoring: {}", r.detail);
    retried += r.attempts > 1 ? 1 : 0;
  }

  PerProblem per;
  for (size_t i = 0; i < samples.size(); ++i) {
    auto& nc = per[samples[i].problem];
    nc[0]++;
    nc[1] += all[i].outcome == he::Outcome::passed;
    if (o.plus) nc[2] += all[samples.size() + i].outcome == he::Outcome::passed;
  }
  std::vector<int64_t> n, c, cp;
  for (const auto& [p, nc] : per) {
    n.push_back(nc[0]);
    c.push_back(nc[1]);
    cp.push_back(nc[2]);
  }
  auto metrics = he::pass_at_k_metrics(n, c);
  if (o.plus)
    for (auto m : he::pass_at_k_metrics(n, cp)) {
      m.name += "+";  // evalplus "plus": base tests and every extra input
      m.headline = false;
      metrics.push_back(m);
    }

  if (!o.output.empty()) write_results(o, samples, all);
  print_summary(o, sandbox.mode(), problems, per, metrics, samples.size(), retried);
  if (per.size() < problems.size())
    fmt::print(stderr, "note: {} of {} problems have no samples; pass@k is over the attempted ones only\n",
               problems.size() - per.size(), problems.size());
  return ys::cli::kExitOk;
}

ys::cli::Registrar reg("humaneval", "HumanEval tools: `score` completions in the sandbox", [](CLI::App& app) {
  auto o = std::make_shared<ScoreOptions>();
  app.require_subcommand(1);
  CLI::App* score = app.add_subcommand("score", "Score completions (JSONL: task_id, completion) with pass@k");
  score->add_option("--samples", o->samples, "JSONL file of {task_id, completion}")->required();
  score->add_option("--data-dir", o->data_dir, "data directory (env YARDSTICK_DATA, default ./data)");
  score->add_option("--timeout", o->timeout, "seconds per program (default 3)")->check(CLI::Range(0.01, 3600.0));
  score->add_option("--workers", o->workers, "programs run in parallel (default: cores)")->check(CLI::Range(0, 1024));
  score->add_flag("--unsafe-no-sandbox", o->unsafe,
                  "if bubblewrap cannot isolate, run with rlimits only (use only inside a throwaway VM)");
  score->add_flag("--json", o->json, "print the summary as JSON");
  score->add_flag("--plus", o->plus, "also score against HumanEval+ extra inputs (pass@k+, evalplus rules)");
  score->add_option("-o,--output", o->output, "write per-sample results (JSONL) here");
  return ys::cli::RunFn([o] { return run_score(*o); });
});

}  // namespace
