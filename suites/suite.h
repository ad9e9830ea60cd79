// What every evaluation suite provides to the runner (ARCHITECTURE.md, suites/).
//
// A Task is a loaded, verified document set plus its protocol. The runner drives it in
// two phases so it can batch requests across documents:
//   requests(i) -> the model requests of document i (loglikelihood and/or generate)
//   score(i, requests, results) -> one Sample record
// and at the end aggregate(samples) -> metrics with standard errors.
// A Task never touches the store and never includes a kernel header.
#pragma once

#include "engine/model/model.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ys::suites {

// Renders chat messages with the model's template (engine::Model::apply_chat_template).
using ChatRenderFn = std::function<std::string(const std::vector<engine::ChatMessage>&, bool add_generation_prompt)>;

struct TaskOptions {
  std::filesystem::path data_dir;      // where `yardstick data import` put the files
  int num_fewshot = -1;                // -1 = the protocol's default
  // lm-eval's chat protocols (suites/prompt/fewshot_context.h): --apply_chat_template,
  // --fewshot_as_multiturn, --system_instruction. With chat_template the runner sets
  // chat_render (the model's template), chat_template_source and chat_now.
  bool chat_template = false;
  bool fewshot_as_multiturn = false;
  std::optional<std::string> system_instruction;
  ChatRenderFn chat_render;
  std::string chat_template_source;
  int64_t chat_now = -1;               // strftime_now() clock for the whole run (seconds, UTC)
  int gen_samples = 1;                 // generations per document (HumanEval pass@k)
  engine::SamplerParams sampler;       // generation sampler (default greedy)
  std::map<std::string, std::string> extra;  // suite-specific options (e.g. "sandbox")
};

struct DocRequests {
  std::string prompt;                                    // the rendered context, for hashing/flips
  std::vector<engine::LoglikelihoodRequest> loglikelihood;
  std::vector<engine::GenerateRequest> generate;
};

struct DocResults {
  std::vector<engine::LoglikelihoodResult> loglikelihood;  // same order as the requests
  std::vector<engine::GenerateResult> generate;
};

struct Sample {
  std::string doc_id;                     // stable across runs, e.g. "abstract_algebra/17"
  std::string prompt_hash;                // xxh64 hex of the prompt
  nlohmann::json request;                 // what was asked
  nlohmann::json output;                  // per-choice logprobs, or generated text(s)
  std::string target;
  std::map<std::string, double> scores;   // per-sample metric values, e.g. {"acc": 1}
  nlohmann::json extra = nlohmann::json::object();
};

struct Metric {
  std::string name;      // e.g. "acc", "acc/stem", "exact_match,strict-match", "bleu"
  double value = 0;
  double stderr_ = 0;    // NaN when not defined
  int64_t n = 0;
  bool headline = false; // the metric a summary shows first
};

class Task {
 public:
  virtual ~Task() = default;
  virtual std::string name() const = 0;              // registry name, e.g. "mmlu"
  virtual std::string protocol_version() const = 0;  // bumps when prompts/scoring change
  virtual nlohmann::json protocol() const = 0;       // the protocol as data (few-shot, template, stops)
  // sha256 of every data file used, by path relative to the data dir.
  virtual std::map<std::string, std::string> dataset_hashes() const = 0;
  virtual size_t size() const = 0;                   // documents, in dataset order
  virtual std::string doc_id(size_t i) const = 0;
  virtual DocRequests requests(size_t i) const = 0;
  virtual Sample score(size_t i, const DocRequests& req, const DocResults& res) const = 0;
  virtual std::vector<Metric> aggregate(const std::vector<Sample>& samples) const = 0;
  // Scores several documents at once (HumanEval runs all their programs in one sandbox
  // pool). The default scores one document after the other.
  virtual std::vector<Sample> score_batch(const std::vector<size_t>& docs, const std::vector<DocRequests>& reqs,
                                          const std::vector<DocResults>& results) const {
    std::vector<Sample> out;
    for (size_t j = 0; j < docs.size(); ++j) out.push_back(score(docs[j], reqs[j], results[j]));
    return out;
  }

  // Suites that compare two settings of one model (quant: candidate vs baseline weights)
  // evaluate a document themselves instead of through requests()/score().
  virtual bool compares_models() const { return false; }
  virtual Sample evaluate_pair(size_t /*i*/, engine::Model& /*candidate*/, engine::Model& /*baseline*/) const {
    throw std::logic_error("evaluate_pair called on a suite that does not compare models");
  }
};

// The explicit registry (suites/registry.cpp). A name ending ".json" is a suite spec file
// (suites/spec/spec.h). Unknown names raise ys::Error with a "did you mean" hint.
std::unique_ptr<Task> make_task(const std::string& name, const TaskOptions& options);
std::vector<std::string> task_names();

}  // namespace ys::suites
