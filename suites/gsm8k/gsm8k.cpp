// The gsm8k and gsm8k_cot Tasks (see gsm8k.h).
#include "suites/gsm8k/gsm8k.h"

#include "common/error.h"
#include "common/hash.h"
#include "suites/gsm8k/gsm8k_cot_exemplars.h"
#include "suites/gsm8k/gsm8k_scoring.h"
#include "suites/metrics/py_random.h"
#include "suites/metrics/stats.h"
#include "suites/prompt/fewshot_context.h"


namespace ys::suites {

namespace {

constexpr const char* kStrictMetric = "exact_match,strict-match";
constexpr const char* kFlexibleMetric = "exact_match,flexible-extract";

struct Variant {
  std::string name;
  bool cot = false;
  int default_shots = 5;
  std::vector<std::string> until;
  std::string strict_pattern;
};

class Gsm8kTask final : public Task {
 public:
  Gsm8kTask(Variant v, const TaskOptions& o)
      : v_(std::move(v)), scorer_(v_.strict_pattern), sampler_(o.sampler), chat_(chat_protocol(o, v_.name)) {
    // The runner passes its MMLU/HumanEval options to every task; they do not apply here.
    for (const auto& [k, v] : o.extra)
      if (k != "limit_per_subject" && k != "unsafe_no_sandbox")
        fail(ErrorKind::invalid_input, "{}: unknown option '{}' (none expected)", v_.name, k);
    if (o.gen_samples != 1)
      fail(ErrorKind::invalid_input, "{}: gen_samples={} but the protocol generates one answer per question", v_.name,
           o.gen_samples);
    shots_ = o.num_fewshot < 0 ? v_.default_shots : o.num_fewshot;
    datasets::Gsm8kSplit test = datasets::load_gsm8k_split(o.data_dir, "test");
    hashes_[test.rel_path] = test.sha256;
    test_ = std::move(test.rows);
    if (v_.cot) {
      if (shots_ > static_cast<int>(gsm8k_cot_exemplars().size()))
        fail(ErrorKind::invalid_input, "{}: num_fewshot={} but there are 8 fixed exemplars (0..8)", v_.name, shots_);
    } else if (shots_ > 0) {
      datasets::Gsm8kSplit train = datasets::load_gsm8k_split(o.data_dir, "train");
      hashes_[train.rel_path] = train.sha256;
      if (static_cast<size_t>(shots_) > train.rows.size())
        fail(ErrorKind::invalid_input, "{}: num_fewshot={} exceeds the {} train questions", v_.name, shots_,
             train.rows.size());
      train_ = std::move(train.rows);
      shot_indices_ = gsm8k_fewshot_indices(test_.size(), train_.size(), static_cast<size_t>(shots_));
    }
  }

  std::string name() const override { return v_.name; }
  std::string protocol_version() const override {
    return (v_.cot ? "lm-eval-gsm8k_cot-v3.0" : "lm-eval-gsm8k-v3.0") + chat_.version_suffix();
  }

  nlohmann::json protocol() const override {
    nlohmann::json j = {{"reference", std::string("lm-evaluation-harness ") + v_.name + " (version 3.0), PROTOCOLS.md §3"},
            {"output_type", "generate_until"},
            {"num_fewshot", shots_},
            {"fewshot_split", v_.cot ? "fixed exemplars (Wei et al.)" : "train"},
            {"fewshot_sampler", v_.cot ? "first_n" : "random.Random(1234).sample, consumed in test order"},
            {"doc_to_text", v_.cot ? "Q: {{question}}\nA:" : "Question: {{question}}\nAnswer:"},
            {"target_delimiter", " "},
            {"fewshot_delimiter", "\n\n"},
            {"until", v_.until},
            {"max_gen_toks", 256},
            {"temperature", sampler_.temperature},
            {"filters", {{"strict-match", v_.strict_pattern}, {"flexible-extract", kGsm8kFlexiblePattern}}},
            {"regexes_to_ignore", {",", "\\$", "(?s).*#### ", "\\.$"}},
            {"ignore_case", true}};
    j.update(chat_.describe());
    return j;
  }

  std::map<std::string, std::string> dataset_hashes() const override { return hashes_; }
  size_t size() const override { return test_.size(); }
  std::string doc_id(size_t i) const override { return "test/" + std::to_string(check(i)); }

  DocRequests requests(size_t i) const override {
    DocRequests req;
    req.prompt = context(check(i));
    engine::GenerateRequest g;
    g.prompt = req.prompt;
    g.max_tokens = 256;
    g.stop = v_.until;
    g.sampler = sampler_;
    req.generate.push_back(std::move(g));
    return req;
  }

  Sample score(size_t i, const DocRequests& req, const DocResults& res) const override {
    if (res.generate.size() != 1)
      fail(ErrorKind::internal, "{} {}: expected 1 generation, got {}", v_.name, doc_id(i), res.generate.size());
    const std::string& text = res.generate[0].text;
    const std::string& answer = test_[check(i)].answer;
    const std::string target = v_.cot ? gsm8k_final_answer(answer) : answer;
    Sample out;
    out.doc_id = doc_id(i);
    out.prompt_hash = xxh64_hex(req.prompt);
    out.request = {{"context", req.prompt}, {"until", v_.until}, {"max_gen_toks", 256}};
    std::string strict = scorer_.strict(text), flexible = scorer_.flexible(text);
    out.output = {{"text", text}, {"strict-match", strict}, {"flexible-extract", flexible}};
    out.target = target;
    out.scores[kStrictMetric] = scorer_.exact_match(strict, target);
    out.scores[kFlexibleMetric] = scorer_.exact_match(flexible, target);
    if (!v_.cot) out.extra = {{"fewshot_train_indices", shot_indices_.empty() ? nlohmann::json::array()
                                                                                : nlohmann::json(shot_indices_[i])}};
    return out;
  }

  std::vector<Metric> aggregate(const std::vector<Sample>& samples) const override {
    std::vector<Metric> out;
    for (const char* name : {kStrictMetric, kFlexibleMetric}) {
      std::vector<double> xs;
      for (const Sample& s : samples) {
        auto it = s.scores.find(name);
        if (it == s.scores.end())
          fail(ErrorKind::invalid_input, "{} sample '{}' has no '{}' score", v_.name, s.doc_id, name);
        xs.push_back(it->second);
      }
      out.push_back(
          {name, metrics::mean(xs), metrics::mean_stderr(xs), static_cast<int64_t>(xs.size()), out.empty()});
    }
    return out;
  }

 private:
  size_t check(size_t i) const {
    if (i >= test_.size()) fail(ErrorKind::internal, "{}: document {} out of range ({})", v_.name, i, test_.size());
    return i;
  }

  std::string context(size_t i) const {
    // In plain text this is gsm8k_context / gsm8k_cot_context byte for byte (tests/gsm8k).
    ContextParts p;
    if (v_.cot) {
      const auto& ex = gsm8k_cot_exemplars();
      for (size_t k = 0; k < static_cast<size_t>(shots_) && k < ex.size(); ++k)
        p.shots.push_back({"Q: " + ex[k].question + "\nA:", ex[k].target});
      p.question = "Q: " + test_[i].question + "\nA:";
    } else {
      if (!shot_indices_.empty())
        for (size_t j : shot_indices_[i]) p.shots.push_back({"Question: " + train_[j].question + "\nAnswer:", train_[j].answer});
      p.question = "Question: " + test_[i].question + "\nAnswer:";
    }
    return fewshot_context(p, chat_);
  }

  Variant v_;
  Gsm8kScorer scorer_;
  engine::SamplerParams sampler_;
  ChatProtocol chat_;
  int shots_ = 0;
  std::vector<datasets::Gsm8kRow> test_, train_;
  std::vector<std::vector<size_t>> shot_indices_;
  std::map<std::string, std::string> hashes_;
};

}  // namespace

std::vector<std::vector<size_t>> gsm8k_fewshot_indices(size_t n_test, size_t n_train, size_t shots, uint64_t seed) {
  std::vector<std::vector<size_t>> out(n_test);
  if (shots == 0) return out;
  metrics::PyRandom rnd(seed);
  for (size_t i = 0; i < n_test; ++i) out[i] = rnd.sample(n_train, shots);
  return out;
}

std::string gsm8k_context(const std::vector<datasets::Gsm8kRow>& shots, const std::string& question) {
  std::string ctx;
  for (const auto& s : shots) ctx += "Question: " + s.question + "\nAnswer: " + s.answer + "\n\n";
  return ctx + "Question: " + question + "\nAnswer:";
}

std::string gsm8k_cot_context(size_t shots, const std::string& question) {
  const auto& ex = gsm8k_cot_exemplars();
  std::string ctx;
  for (size_t k = 0; k < shots && k < ex.size(); ++k) ctx += "Q: " + ex[k].question + "\nA: " + ex[k].target + "\n\n";
  return ctx + "Q: " + question + "\nA:";
}

std::unique_ptr<Task> make_gsm8k_task(const TaskOptions& options) {
  return std::make_unique<Gsm8kTask>(
      Variant{"gsm8k", false, 5, {"Question:", "</s>", "<|im_end|>"}, kGsm8kStrictPattern}, options);
}

std::unique_ptr<Task> make_gsm8k_cot_task(const TaskOptions& options) {
  return std::make_unique<Gsm8kTask>(
      Variant{"gsm8k_cot", true, 8, {"Q:", "</s>", "<|im_end|>"}, kGsm8kCotStrictPattern}, options);
}

}  // namespace ys::suites
