// The quantization-damage suite (`--suite quant`): the same model file run with
// candidate weights (--quant T) against baseline weights (--baseline-quant f32|f16|bf16)
// on a text corpus. Per token position: KL(baseline || candidate) of the next-token
// distribution, top-1 agreement, and each side's negative log-likelihood (perplexity).
#pragma once

#include "suites/suite.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ys::suites {

struct CorpusDoc {
  std::string id;
  std::string text;
};

// The default corpus: a fixed slice of WMT14 English source sentences and MMLU test
// questions, grouped into documents of a few sentences. Records each file's sha256.
std::vector<CorpusDoc> default_quant_corpus(const std::filesystem::path& data_dir,
                                            std::map<std::string, std::string>& hashes);
// A user's text file: paragraphs (blank-line separated) become documents.
std::vector<CorpusDoc> file_quant_corpus(const std::filesystem::path& path, std::map<std::string, std::string>& hashes);

struct PositionStats {
  double kl = 0;        // KL(P_base || P_cand) in nats
  bool top1_agree = false;
  double nll_base = 0;  // -log P_base(next token)
  double nll_cand = 0;
};

// log-softmax of a logit row in double precision.
void log_softmax(const float* logits, int64_t n, std::vector<double>& out);
// Compares the baseline's log-probabilities with the candidate's logits at one position.
PositionStats compare_position(const std::vector<double>& base_logp, int32_t base_argmax, const float* cand_logits,
                               int64_t n, int32_t target, std::vector<double>& scratch);
// Metrics over every scored position of every sample: ppl_base, ppl_candidate, ppl_ratio,
// kl_mean (± stderr), kl_p99, kl_max, top1_agreement (± stderr).
std::vector<Metric> aggregate_quant(const std::vector<Sample>& samples);

std::unique_ptr<Task> make_quant_task(const TaskOptions& options);

}  // namespace ys::suites
