// GSM8K exactly as lm-evaluation-harness (PROTOCOLS.md §1.2, §3):
//   gsm8k      5 shots from train drawn by random.Random(1234).sample, one generator for the
//              task consumed in test-set order; context Σ("Question: q\nAnswer: " + answer
//              + "\n\n") + "Question: q\nAnswer:"; until ["Question:", "</s>", "<|im_end|>"];
//              greedy, 256 new tokens; reference = the full answer.
//   gsm8k_cot  the 8 fixed Wei et al. exemplars (first_n); "Q: q\nA:" + " " + target;
//              until ["Q:", "</s>", "<|im_end|>"]; reference = answer.split('####')[-1].strip().
// Both report "exact_match,strict-match" (headline) and "exact_match,flexible-extract".
// TaskOptions.num_fewshot overrides the shot count; chat_template/fewshot_as_multiturn/
// system_instruction give lm-eval's chat protocols (suites/prompt/fewshot_context.h); extra
// options other than the runner-wide limit_per_subject / unsafe_no_sandbox are errors.
#pragma once

#include "datasets/gsm8k.h"
#include "suites/suite.h"

#include <memory>
#include <string>
#include <vector>

namespace ys::suites {

std::unique_ptr<Task> make_gsm8k_task(const TaskOptions& options);
std::unique_ptr<Task> make_gsm8k_cot_task(const TaskOptions& options);

// The train indices of the shots of every test document: `n_test` successive
// random.Random(seed).sample(range(n_train), shots) draws (no draws when shots == 0).
std::vector<std::vector<size_t>> gsm8k_fewshot_indices(size_t n_test, size_t n_train, size_t shots,
                                                       uint64_t seed = 1234);
// gsm8k context for a question given its shots.
std::string gsm8k_context(const std::vector<datasets::Gsm8kRow>& shots, const std::string& question);
// gsm8k_cot context with the first `shots` of the 8 exemplars.
std::string gsm8k_cot_context(size_t shots, const std::string& question);

}  // namespace ys::suites
