// MMLU exactly as lm-evaluation-harness `mmlu` (PROTOCOLS.md §2):
//   description "The following are multiple choice questions (with answers) about <subject words>.\n\n",
//   first_n shots from dev (default 5 here; TaskOptions.num_fewshot overrides, 0..5),
//   doc_to_text "<question.strip()>\nA. <a>\nB. <b>\nC. <c>\nD. <d>\nAnswer:",
//   shots joined as text + " " + letter + "\n\n", four loglikelihood requests
//   (ctx, " A") .. (ctx, " D"), pred = argmax (ties to the first), acc = pred == gold.
// Documents: subjects in alphabetical order, rows in file order, doc_id "<subject>/<row>".
// TaskOptions.extra: "subjects" (comma list, --subjects) and "limit_per_subject" (first N
// test rows). CSV fields keep their line breaks as written ("\r\n" inside quotes stays), as
// lm-eval's dataset does (docs/protocols.md). TaskOptions.chat_template: lm-eval's
// --apply_chat_template (description as system message, continuations "A".."D";
// suites/prompt/fewshot_context.h), with fewshot_as_multiturn and system_instruction.
#pragma once

#include "datasets/mmlu.h"
#include "suites/suite.h"

#include <memory>
#include <string>
#include <vector>

namespace ys::suites {

std::unique_ptr<Task> make_mmlu_task(const TaskOptions& options);

// Prompt pieces, exposed for tests.
std::string mmlu_description(const std::string& subject);
std::string mmlu_doc_to_text(const datasets::MmluRow& row);
// description + Σ(doc_to_text(shot) + " " + letter + "\n\n"): what precedes every question.
std::string mmlu_fewshot_prefix(const std::string& subject, const std::vector<datasets::MmluRow>& shots);
// mmlu_fewshot_prefix(subject, shots) + doc_to_text(doc)
std::string mmlu_context(const std::string& subject, const std::vector<datasets::MmluRow>& shots,
                         const datasets::MmluRow& doc);

}  // namespace ys::suites
