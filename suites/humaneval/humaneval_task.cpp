#include "suites/humaneval/humaneval_task.h"

#include "common/error.h"
#include "common/hash.h"
#include "suites/prompt/fewshot_context.h"

#include <fmt/format.h>

#include <cmath>

namespace ys::suites::humaneval {

namespace {

double parse_double(const std::map<std::string, std::string>& extra, const char* key, double def) {
  auto it = extra.find(key);
  if (it == extra.end()) return def;
  try {
    size_t used = 0;
    double v = std::stod(it->second, &used);
    if (used == it->second.size() && v > 0) return v;
  } catch (const std::exception&) {
  }
  fail(ErrorKind::invalid_input, "humaneval: option {}=\"{}\" is not a positive number", key, it->second);
}

}  // namespace

SandboxOptions sandbox_options(const TaskOptions& options) {
  SandboxOptions s;
  s.limits.timeout_s = parse_double(options.extra, "timeout", 3.0);
  s.workers = static_cast<int>(parse_double(options.extra, "workers", 0.5));  // 0 = cores
  auto it = options.extra.find("sandbox");
  if (it != options.extra.end()) {
    if (it->second == "unsafe" || it->second == "unsafe-no-sandbox") {
      s.unsafe_no_sandbox = true;
    } else if (it->second != "bwrap") {
      fail(ErrorKind::invalid_input, "humaneval: option sandbox=\"{}\": expected bwrap or unsafe", it->second);
    }
  }
  return s;
}

HumanEvalTask::HumanEvalTask(const TaskOptions& options) : options_(options) {
  check_options();
  problems_ = datasets::load_humaneval(options.data_dir, &sha256_);
}

HumanEvalTask::HumanEvalTask(const TaskOptions& options, std::vector<datasets::HumanEvalProblem> problems,
                             std::string sha256)
    : options_(options), problems_(std::move(problems)), sha256_(std::move(sha256)) {
  check_options();
}

void HumanEvalTask::check_options() const {
  if (options_.num_fewshot > 0)
    fail(ErrorKind::unsupported, "humaneval: num_fewshot={} requested; the protocol is 0-shot", options_.num_fewshot);
  (void)chat_protocol(options_, "humaneval");  // validates the chat options
  if (options_.gen_samples < 1 || options_.gen_samples > 1000)
    fail(ErrorKind::invalid_input, "humaneval: gen_samples={} out of range [1, 1000]", options_.gen_samples);
  (void)sandbox_options(options_);  // validates the extra options early
}

std::string HumanEvalTask::protocol_version() const {
  return "1" + chat_protocol(options_, "humaneval").version_suffix();
}

nlohmann::json HumanEvalTask::protocol() const {
  const auto& s = options_.sampler;
  nlohmann::json j = {{"source", "lm-eval humaneval.yaml + openai/human-eval execution"},
          {"num_fewshot", 0},
          {"doc_to_text", "{{prompt}}"},
          {"until", stop_sequences()},
          {"max_gen_toks", kMaxGenTokens},
          {"samples_per_problem", options_.gen_samples},
          {"sampler", {{"temperature", s.temperature}, {"top_k", s.top_k}, {"top_p", s.top_p}, {"seed", s.seed}}},
          {"program", "prompt + completion + \"\\n\" + test + \"\\n\" + \"check(\" + entry_point + \")\""},
          {"timeout_s", sandbox_options(options_).limits.timeout_s},
          {"metric", "unbiased pass@k, k in {1,10,100} with k <= samples"}};
  j.update(chat_protocol(options_, "humaneval").describe());
  if (options_.chat_template) j["program_prompt"] = "the raw prompt (lm-eval build_predictions), not the chat context";
  return j;
}

std::map<std::string, std::string> HumanEvalTask::dataset_hashes() const {
  return {{datasets::kHumanEvalPath, sha256_}};
}

const datasets::HumanEvalProblem& HumanEvalTask::problem(size_t i) const {
  if (i >= problems_.size())
    fail(ErrorKind::internal, "humaneval: document {} out of range (size {})", i, problems_.size());
  return problems_[i];
}

std::string HumanEvalTask::doc_id(size_t i) const { return problem(i).task_id; }

DocRequests HumanEvalTask::requests(size_t i) const {
  const auto& p = problem(i);
  DocRequests r;
  ContextParts parts;
  parts.question = p.prompt;  // doc_to_text "{{prompt}}", 0-shot
  r.prompt = fewshot_context(parts, chat_protocol(options_, "humaneval"));
  for (int s = 0; s < options_.gen_samples; ++s) {
    engine::GenerateRequest g;
    g.prompt = r.prompt;
    g.max_tokens = kMaxGenTokens;
    g.stop = stop_sequences();
    g.sampler = options_.sampler;
    if (options_.gen_samples > 1 || g.sampler.temperature > 0)
      g.sampler.seed = xxh64(fmt::format("humaneval/{}/{}/{}", options_.sampler.seed, i, s));
    r.generate.push_back(std::move(g));
  }
  return r;
}

const Sandbox& HumanEvalTask::sandbox() const {
  std::call_once(sandbox_once_, [this] { sandbox_ = std::make_unique<Sandbox>(sandbox_options(options_)); });
  return *sandbox_;
}

Sample HumanEvalTask::score(size_t i, const DocRequests& req, const DocResults& res) const {
  return score_batch({i}, {req}, {res}).front();
}

std::vector<Sample> HumanEvalTask::score_batch(const std::vector<size_t>& docs, const std::vector<DocRequests>& reqs,
                                               const std::vector<DocResults>& results) const {
  if (docs.size() != reqs.size() || docs.size() != results.size())
    fail(ErrorKind::internal, "humaneval: score_batch got {} docs, {} requests, {} results", docs.size(),
         reqs.size(), results.size());
  std::vector<std::string> programs;
  for (size_t j = 0; j < docs.size(); ++j)
    for (const auto& g : results[j].generate) programs.push_back(build_program(problem(docs[j]), g.text));
  auto runs = sandbox().run_all(programs);
  std::vector<Sample> out;
  size_t at = 0;
  for (size_t j = 0; j < docs.size(); ++j) {
    const auto& p = problem(docs[j]);
    Sample s;
    s.doc_id = p.task_id;
    s.prompt_hash = xxh64_hex(reqs[j].prompt);
    s.request = {{"prompt", reqs[j].prompt}, {"n", reqs[j].generate.size()}, {"max_tokens", kMaxGenTokens}};
    s.output = nlohmann::json::array();
    s.target = p.test + "\ncheck(" + p.entry_point + ")";
    auto res = nlohmann::json::array();
    int64_t c = 0;
    for (const auto& g : results[j].generate) {
      const RunResult& r = runs[at++];
      s.output.push_back(g.text);
      c += r.outcome == Outcome::passed ? 1 : 0;
      res.push_back({{"result", result_string(r)}, {"wall_s", r.wall_s}});
    }
    int64_t n = static_cast<int64_t>(results[j].generate.size());
    s.scores = {{"n", static_cast<double>(n)},
                {"c", static_cast<double>(c)},
                {"pass@1", n > 0 ? static_cast<double>(c) / static_cast<double>(n) : 0.0}};
    s.extra = {{"results", res}, {"sandbox", sandbox().mode()}};
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Metric> HumanEvalTask::aggregate(const std::vector<Sample>& samples) const {
  std::vector<int64_t> n, c;
  for (const auto& s : samples) {
    auto in = s.scores.find("n"), ic = s.scores.find("c");
    if (in == s.scores.end() || ic == s.scores.end())
      fail(ErrorKind::format, "humaneval: sample {} has no n/c scores", s.doc_id);
    n.push_back(static_cast<int64_t>(std::llround(in->second)));
    c.push_back(static_cast<int64_t>(std::llround(ic->second)));
  }
  return pass_at_k_metrics(n, c);
}

}  // namespace ys::suites::humaneval

namespace ys::suites {

std::unique_ptr<Task> make_humaneval_task(const TaskOptions& options) {
  return std::make_unique<humaneval::HumanEvalTask>(options);
}

}  // namespace ys::suites
