#include "common/error.h"
#include "common/hash.h"
#include "suites/quant/quant_suite.h"

#include <algorithm>

namespace ys::suites {
namespace {

constexpr size_t kMaxTokens = 512;  // tokens scored per document

class QuantTask final : public Task {
 public:
  explicit QuantTask(const TaskOptions& o) : options_(o) {
    if (o.num_fewshot > 0) fail(ErrorKind::invalid_input, "--num-fewshot: the quant suite takes no few-shot examples");
    auto tf = o.extra.find("text_file");
    docs_ = tf != o.extra.end() ? file_quant_corpus(tf->second, hashes_) : default_quant_corpus(o.data_dir, hashes_);
  }
  std::string name() const override { return "quant"; }
  std::string protocol_version() const override { return "yardstick-quant-v1"; }
  nlohmann::json protocol() const override {
    return {{"corpus", options_.extra.count("text_file") ? "text-file" : "wmt14 en source x96 lines + mmlu test q0 x57"},
            {"max_tokens_per_doc", kMaxTokens},
            {"bos", false},
            {"kl", "KL(P_baseline || P_candidate), nats, per next-token position"},
            {"note", "a baseline can be no better than its source file: re-quantizing a Q4_1 file to f32 only "
                     "widens the storage, it cannot restore the lost precision"}};
  }
  std::map<std::string, std::string> dataset_hashes() const override { return hashes_; }
  size_t size() const override { return docs_.size(); }
  std::string doc_id(size_t i) const override { return docs_.at(i).id; }
  DocRequests requests(size_t i) const override { return DocRequests{docs_.at(i).text, {}, {}}; }
  Sample score(size_t, const DocRequests&, const DocResults&) const override {
    fail(ErrorKind::internal, "quant suite documents are evaluated with evaluate_pair");
  }
  bool compares_models() const override { return true; }
  Sample evaluate_pair(size_t i, engine::Model& candidate, engine::Model& baseline) const override;
  std::vector<Metric> aggregate(const std::vector<Sample>& samples) const override { return aggregate_quant(samples); }

 private:
  TaskOptions options_;
  std::map<std::string, std::string> hashes_;
  std::vector<CorpusDoc> docs_;
};

Sample QuantTask::evaluate_pair(size_t i, engine::Model& candidate, engine::Model& baseline) const {
  const CorpusDoc& doc = docs_.at(i);
  std::vector<int32_t> ids = candidate.tokenize(doc.text, false);
  size_t window = candidate.info().n_ctx > 0 ? static_cast<size_t>(candidate.info().n_ctx) : kMaxTokens;
  if (ids.size() > std::min(kMaxTokens, window)) ids.resize(std::min(kMaxTokens, window));
  if (ids.size() < 2) fail(ErrorKind::invalid_input, "quant corpus document {} has fewer than 2 tokens", doc.id);
  size_t n_pos = ids.size() - 1;
  std::vector<float> base_logp;
  std::vector<int32_t> base_argmax(n_pos, 0);
  int64_t vocab = 0;
  std::vector<double> row;
  baseline.next_token_logits(ids, [&](int64_t pos, const float* logits, int64_t n) {
    vocab = n;
    if (base_logp.empty()) base_logp.resize(n_pos * static_cast<size_t>(n));
    log_softmax(logits, n, row);
    auto p = static_cast<size_t>(pos);
    base_argmax[p] = static_cast<int32_t>(std::max_element(row.begin(), row.end()) - row.begin());
    std::copy(row.begin(), row.end(), base_logp.begin() + static_cast<std::ptrdiff_t>(p * static_cast<size_t>(n)));
  });
  nlohmann::json kl = nlohmann::json::array(), agree = nlohmann::json::array();
  nlohmann::json nll_b = nlohmann::json::array(), nll_c = nlohmann::json::array();
  std::vector<double> base_row, scratch;
  double kl_sum = 0, agree_sum = 0;
  candidate.next_token_logits(ids, [&](int64_t pos, const float* logits, int64_t n) {
    if (n != vocab) fail(ErrorKind::internal, "quant: vocab sizes differ ({} vs {})", n, vocab);
    auto p = static_cast<size_t>(pos);
    auto first = base_logp.begin() + static_cast<std::ptrdiff_t>(p * static_cast<size_t>(n));
    base_row.assign(first, first + n);
    PositionStats st = compare_position(base_row, base_argmax[p], logits, n, ids[p + 1], scratch);
    kl.push_back(st.kl);
    agree.push_back(st.top1_agree ? 1 : 0);
    nll_b.push_back(st.nll_base);
    nll_c.push_back(st.nll_cand);
    kl_sum += st.kl;
    agree_sum += st.top1_agree ? 1 : 0;
  });
  Sample s;
  s.doc_id = doc.id;
  s.prompt_hash = xxh64_hex(doc.text);
  s.request = {{"text", doc.text}, {"n_tokens", ids.size()}};
  s.output = {{"kl", kl}, {"top1_agree", agree}, {"nll_base", nll_b}, {"nll_candidate", nll_c}};
  s.scores = {{"kl_mean", kl_sum / static_cast<double>(n_pos)}, {"top1_agreement", agree_sum / static_cast<double>(n_pos)}};
  return s;
}

}  // namespace

std::unique_ptr<Task> make_quant_task(const TaskOptions& options) { return std::make_unique<QuantTask>(options); }

}  // namespace ys::suites
