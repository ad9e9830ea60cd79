// The "humaneval" Task (PROTOCOLS.md §4): raw prompt, 0-shot, generate_until the five
// stop strings (+EOS), 1024 new tokens, greedy by default; gen_samples generations per
// problem with seeds derived from (base seed, doc index, sample index). Programs run in
// the sandbox; aggregate() reports unbiased pass@k. TaskOptions.chat_template renders the
// prompt as one user turn with the model's template (lm-eval --apply_chat_template); the
// program is still prompt + completion.
//
// How the runner should call it: score(i, ...) works per document (its samples run in
// parallel), but score_batch() runs every program of many documents through one worker
// pool: collect the DocResults of a batch of documents and call score_batch once.
#pragma once

#include "datasets/humaneval.h"
#include "suites/humaneval/humaneval.h"
#include "suites/humaneval/sandbox.h"

#include <memory>
#include <mutex>

namespace ys::suites::humaneval {

class HumanEvalTask : public Task {
 public:
  explicit HumanEvalTask(const TaskOptions& options);
  // For tests and `humaneval score`: problems given directly (no data dir).
  HumanEvalTask(const TaskOptions& options, std::vector<datasets::HumanEvalProblem> problems, std::string sha256);

  std::string name() const override { return "humaneval"; }
  std::string protocol_version() const override;  // "1", plus the chat protocol's suffix
  nlohmann::json protocol() const override;
  std::map<std::string, std::string> dataset_hashes() const override;
  size_t size() const override { return problems_.size(); }
  std::string doc_id(size_t i) const override;
  DocRequests requests(size_t i) const override;
  Sample score(size_t i, const DocRequests& req, const DocResults& res) const override;
  std::vector<Metric> aggregate(const std::vector<Sample>& samples) const override;

  // Scores many documents at once: docs[j] with its requests/results reqs[j]/results[j].
  std::vector<Sample> score_batch(const std::vector<size_t>& docs, const std::vector<DocRequests>& reqs,
                                  const std::vector<DocResults>& results) const override;
  // The sandbox, created (and bubblewrap probed) on first use.
  const Sandbox& sandbox() const;
  const datasets::HumanEvalProblem& problem(size_t i) const;

 private:
  void check_options() const;
  TaskOptions options_;
  std::vector<datasets::HumanEvalProblem> problems_;
  std::string sha256_;
  mutable std::once_flag sandbox_once_;
  mutable std::unique_ptr<Sandbox> sandbox_;
};

// The sandbox options a TaskOptions asks for (extra "sandbox", "timeout", "workers").
SandboxOptions sandbox_options(const TaskOptions& options);

}  // namespace ys::suites::humaneval
