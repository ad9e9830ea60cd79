// WMT translation tasks exactly as lm-evaluation-harness's gpt3 translation benchmarks
// (lm_eval/tasks/translation/, PROTOCOLS.md §6), scored with sacrebleu-compatible corpus
// BLEU and chrF (suites/metrics/bleu.h, chrf.h):
//   prompt   "{Source} phrase: {src}\n{Target} phrase:"  (English, French, German,
//            Romanian, Chinese), 0-shot only (num_fewshot > 0 is an error);
//   generate until ["\n"] (the engine adds EOS), greedy by default, 256 new tokens;
//   target   " {ref}" (lm-eval's doc_to_target, leading space; BLEU's 13a tokenizer and
//            chrF's whitespace removal make it irrelevant to the scores);
//   output   the generated text as is after the until-cut (lm-eval does not strip it);
//   metrics  "bleu" (headline) and "chrf", corpus-level on 0-100, stderr = lm-eval's
//            100-replicate bootstrap (random.Random(0).choices). The sacrebleu signatures
//            are in protocol() and in every sample's extra.
// TaskOptions.chat_template: lm-eval's --apply_chat_template (the prompt as one user turn,
// rendered with the model's template; suites/prompt/fewshot_context.h).
// Task names: wmt14-{en-fr,fr-en,en-de,de-en} (newstest2014 full, 3003 lines),
// wmt16-{ro-en,en-ro}, wmt22-{en-de,de-en,zh-en,en-zh}.
#pragma once

#include "datasets/wmt.h"
#include "suites/suite.h"

#include <memory>
#include <string>
#include <vector>

namespace ys::suites {

std::vector<std::string> wmt_task_names();
// Throws ys::Error(invalid_input) for an unknown name, with the list of known names.
std::unique_ptr<Task> make_wmt_task(const std::string& name, const TaskOptions& options);

// The data set behind a task name ("wmt14-de-en" -> wmt14-full, de, en).
datasets::WmtPair wmt_pair_for_task(const std::string& name);
// "English", "French", "German", "Romanian", "Chinese"; throws for other codes.
std::string wmt_language_name(const std::string& code);
// "{Source} phrase: {src}\n{Target} phrase:"
std::string wmt_prompt(const std::string& src_lang, const std::string& tgt_lang, const std::string& src);

}  // namespace ys::suites
