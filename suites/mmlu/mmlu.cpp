// The MMLU Task (see mmlu.h).
#include "suites/mmlu/mmlu.h"

#include "common/error.h"
#include "common/hash.h"
#include "suites/metrics/pystr.h"
#include "suites/mmlu/mmlu_aggregate.h"
#include "suites/prompt/fewshot_context.h"

#include <algorithm>
#include <charconv>
#include <set>

namespace ys::suites {

namespace {

constexpr int kDefaultShots = 5;
constexpr const char* kLetters[4] = {"A", "B", "C", "D"};

struct SubjectData {
  std::string name;
  std::vector<Shot> shots;  // the first n dev questions, as lm-eval's first_n sampler takes them
  std::vector<datasets::MmluRow> test;
};

std::vector<std::string> parse_subjects(const std::string& list) {
  std::set<std::string> chosen;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    std::string s(metrics::py_strip(list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos)));
    if (!s.empty()) {
      try {
        datasets::require_mmlu_subject(s);
      } catch (const Error& e) {
        fail(e.kind(), "--subjects: {}", e.what());
      }
      chosen.insert(s);
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (chosen.empty()) fail(ErrorKind::invalid_input, "mmlu option subjects='{}' names no subject", list);
  return {chosen.begin(), chosen.end()};  // alphabetical
}

int64_t parse_positive(const std::string& key, const std::string& v) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 1)
    fail(ErrorKind::invalid_input, "mmlu option {}='{}': expected a positive integer", key, v);
  return n;
}

class MmluTask final : public Task {
 public:
  explicit MmluTask(const TaskOptions& o) : chat_(chat_protocol(o, "mmlu")) {
    // unsafe_no_sandbox is a runner-wide option meant for humaneval; it does not apply here.
    for (const auto& [k, v] : o.extra)
      if (k != "subjects" && k != "limit_per_subject" && k != "unsafe_no_sandbox")
        fail(ErrorKind::invalid_input, "mmlu: unknown option '{}' (expected subjects, limit_per_subject)", k);
    shots_ = o.num_fewshot < 0 ? kDefaultShots : o.num_fewshot;
    if (shots_ > kDefaultShots)
      fail(ErrorKind::invalid_input, "mmlu: num_fewshot={} but the dev split has 5 questions per subject (0..5)",
           shots_);
    auto it = o.extra.find("subjects");
    std::vector<std::string> subjects = it == o.extra.end() ? datasets::mmlu_subjects() : parse_subjects(it->second);
    auto lim = o.extra.find("limit_per_subject");
    if (lim != o.extra.end()) limit_ = parse_positive("limit_per_subject", lim->second);
    for (const std::string& s : subjects) load_subject(o.data_dir, s);
  }

  std::string name() const override { return "mmlu"; }
  // v2.2: quoted "\r\n" in the CSV fields is kept, as in lm-eval's dataset (docs/protocols.md).
  std::string protocol_version() const override { return "lm-eval-mmlu-v2.2" + chat_.version_suffix(); }

  nlohmann::json protocol() const override {
    nlohmann::json j = {{"reference", "lm-evaluation-harness mmlu (default), PROTOCOLS.md §2"},
            {"output_type", "multiple_choice/loglikelihood"},
            {"num_fewshot", shots_},
            {"fewshot_split", "dev"},
            {"fewshot_sampler", "first_n"},
            {"test_split", "test"},
            {"description", "The following are multiple choice questions (with answers) about {subject words}.\n\n"},
            {"doc_to_text", "{{question.strip()}}\nA. {{choices[0]}}\nB. {{choices[1]}}\nC. {{choices[2]}}\n"
                            "D. {{choices[3]}}\nAnswer:"},
            {"target_delimiter", " "},
            {"fewshot_delimiter", "\n\n"},
            {"continuations", continuations()},
            {"csv_line_breaks", "kept as in the file (\"\\r\\n\" inside quoted fields stays)"},
            {"metric", "acc (argmax of loglikelihood, ties to the first)"},
            {"aggregation", "micro average over documents; per-category pooled stderr; acc_macro"},
            {"subjects", subject_names()},
            {"limit_per_subject", limit_}};
    j.update(chat_.describe());
    return j;
  }

  std::map<std::string, std::string> dataset_hashes() const override { return hashes_; }
  size_t size() const override { return docs_.size(); }

  std::string doc_id(size_t i) const override {
    const auto& [s, r] = doc(i);
    return subjects_[s].name + "/" + std::to_string(r);
  }

  DocRequests requests(size_t i) const override {
    const auto& [s, r] = doc(i);
    DocRequests req;
    req.prompt = fewshot_context(parts(s, r), chat_);
    for (const std::string& cont : continuations()) req.loglikelihood.push_back({req.prompt, cont});
    return req;
  }

  Sample score(size_t i, const DocRequests& req, const DocResults& res) const override {
    if (res.loglikelihood.size() != 4)
      fail(ErrorKind::internal, "mmlu {}: expected 4 loglikelihood results, got {}", doc_id(i),
           res.loglikelihood.size());
    const auto& [s, r] = doc(i);
    const datasets::MmluRow& row = subjects_[s].test[r];
    size_t pred = 0;
    nlohmann::json lls = nlohmann::json::array(), greedy = nlohmann::json::array();
    for (size_t c = 0; c < 4; ++c) {
      if (res.loglikelihood[c].logprob > res.loglikelihood[pred].logprob) pred = c;
      lls.push_back(res.loglikelihood[c].logprob);
      greedy.push_back(res.loglikelihood[c].is_greedy);
    }
    Sample out;
    out.doc_id = doc_id(i);
    out.prompt_hash = xxh64_hex(req.prompt);
    out.request = {{"context", req.prompt}, {"continuations", continuations()}};
    out.output = {{"logprobs", lls}, {"is_greedy", greedy}, {"pred", kLetters[pred]}};
    out.target = kLetters[row.answer];
    out.scores["acc"] = static_cast<int>(pred) == row.answer ? 1.0 : 0.0;
    out.extra = {{"subject", subjects_[s].name}, {"category", datasets::mmlu_category(subjects_[s].name)}};
    return out;
  }

  std::vector<Metric> aggregate(const std::vector<Sample>& samples) const override {
    return aggregate_mmlu(samples);
  }

 private:
  ContextParts parts(size_t s, size_t r) const {
    ContextParts p;
    p.description = mmlu_description(subjects_[s].name);
    p.shots = subjects_[s].shots;
    p.question = mmlu_doc_to_text(subjects_[s].test[r]);
    return p;
  }

  // " A".." D" in plain text; "A".."D" under a chat template (lm-eval construct_requests).
  std::vector<std::string> continuations() const {
    const std::string delim = choice_delimiter(ContextParts{}, chat_);
    return {delim + "A", delim + "B", delim + "C", delim + "D"};
  }

  const std::pair<size_t, size_t>& doc(size_t i) const {
    if (i >= docs_.size()) fail(ErrorKind::internal, "mmlu: document {} out of range ({})", i, docs_.size());
    return docs_[i];
  }

  void load_subject(const std::filesystem::path& dir, const std::string& subject) {
    SubjectData sd;
    sd.name = subject;
    datasets::MmluSplit test = datasets::load_mmlu_split(dir, subject, "test");
    hashes_[test.rel_path] = test.sha256;
    sd.test = std::move(test.rows);
    if (limit_ > 0 && sd.test.size() > static_cast<size_t>(limit_)) sd.test.resize(static_cast<size_t>(limit_));
    if (shots_ > 0) {
      datasets::MmluSplit dev = datasets::load_mmlu_split(dir, subject, "dev");
      hashes_[dev.rel_path] = dev.sha256;
      if (dev.rows.size() < static_cast<size_t>(shots_))
        fail(ErrorKind::format, "{}: {} rows, fewer than num_fewshot={}", dev.rel_path, dev.rows.size(), shots_);
      for (int k = 0; k < shots_; ++k) sd.shots.push_back({mmlu_doc_to_text(dev.rows[k]), kLetters[dev.rows[k].answer]});
    }
    const size_t index = subjects_.size();
    for (size_t r = 0; r < sd.test.size(); ++r) docs_.emplace_back(index, r);
    subjects_.push_back(std::move(sd));
  }

  std::vector<std::string> subject_names() const {
    std::vector<std::string> v;
    for (const auto& s : subjects_) v.push_back(s.name);
    return v;
  }

  ChatProtocol chat_;
  int shots_ = kDefaultShots;
  int64_t limit_ = 0;  // 0 = all rows
  std::vector<SubjectData> subjects_;
  std::vector<std::pair<size_t, size_t>> docs_;  // (subject index, test row)
  std::map<std::string, std::string> hashes_;
};

}  // namespace

std::string mmlu_description(const std::string& subject) {
  std::string words = subject;
  std::replace(words.begin(), words.end(), '_', ' ');
  return "The following are multiple choice questions (with answers) about " + words + ".\n\n";
}

std::string mmlu_doc_to_text(const datasets::MmluRow& row) {
  return std::string(metrics::py_strip(row.question)) + "\nA. " + row.choices[0] + "\nB. " + row.choices[1] + "\nC. " +
         row.choices[2] + "\nD. " + row.choices[3] + "\nAnswer:";
}

std::string mmlu_fewshot_prefix(const std::string& subject, const std::vector<datasets::MmluRow>& shots) {
  std::string ctx = mmlu_description(subject);
  for (const datasets::MmluRow& shot : shots) ctx += mmlu_doc_to_text(shot) + " " + kLetters[shot.answer] + "\n\n";
  return ctx;
}

std::string mmlu_context(const std::string& subject, const std::vector<datasets::MmluRow>& shots,
                         const datasets::MmluRow& doc) {
  return mmlu_fewshot_prefix(subject, shots) + mmlu_doc_to_text(doc);
}

std::unique_ptr<Task> make_mmlu_task(const TaskOptions& options) { return std::make_unique<MmluTask>(options); }

}  // namespace ys::suites
