// The WMT Task (see wmt.h).
#include "common/error.h"
#include "common/hash.h"
#include "suites/metrics/bleu.h"
#include "suites/metrics/bootstrap.h"
#include "suites/metrics/chrf.h"
#include "suites/prompt/fewshot_context.h"
#include "suites/wmt/wmt.h"

#include <algorithm>
#include <charconv>

namespace ys::suites {

namespace {

constexpr int kMaxGenToks = 256;
const std::vector<std::string> kUntil = {"\n"};

// lm-eval postprocess: for term in until: text = text.split(term)[0].
std::string cut_at_until(std::string text) {
  for (const std::string& term : kUntil) {
    const size_t pos = text.find(term);
    if (pos != std::string::npos) text.resize(pos);
  }
  return text;
}

class WmtTask final : public Task {
 public:
  WmtTask(std::string name, const TaskOptions& o)
      : name_(std::move(name)), sampler_(o.sampler), chat_(chat_protocol(o, name_)) {
    if (o.num_fewshot > 0)
      fail(ErrorKind::invalid_input, "{}: --num-fewshot {} is not supported (the lm-eval WMT protocol is 0-shot)",
           name_, o.num_fewshot);
    if (!o.extra.empty())
      fail(ErrorKind::invalid_input, "{}: unknown option '{}' (none expected)", name_, o.extra.begin()->first);
    if (o.gen_samples != 1)
      fail(ErrorKind::invalid_input, "{}: gen_samples={} but the protocol generates one translation per segment",
           name_, o.gen_samples);
    set_ = datasets::load_wmt(o.data_dir, wmt_pair_for_task(name_));
  }

  std::string name() const override { return name_; }
  std::string protocol_version() const override { return "lm-eval-translation-v1" + chat_.version_suffix(); }

  nlohmann::json protocol() const override {
    nlohmann::json j = {{"reference", "lm-evaluation-harness translation (gpt3_translation_benchmarks), PROTOCOLS.md §6"},
            {"output_type", "generate_until"},
            {"testset", set_.pair.testset},
            {"pair", set_.pair.src_lang + "-" + set_.pair.tgt_lang},
            {"num_fewshot", 0},
            {"doc_to_text", wmt_language_name(set_.pair.src_lang) + " phrase: {{src}}\n" +
                                wmt_language_name(set_.pair.tgt_lang) + " phrase:"},
            {"doc_to_target", " {{ref}}"},
            {"until", kUntil},
            {"max_gen_toks", kMaxGenToks},
            {"temperature", sampler_.temperature},
            {"output_postprocess", "cut at the earliest until string; not stripped"},
            {"metrics", {"bleu", "chrf"}},
            {"bleu_signature", metrics::bleu_signature(1)},
            {"chrf_signature", metrics::chrf_signature(1)},
            {"stderr", "lm-eval bootstrap, 100 replicates, random.Random(0).choices"}};
    j.update(chat_.describe());
    return j;
  }

  std::map<std::string, std::string> dataset_hashes() const override {
    return {{set_.src_path, set_.src_sha256}, {set_.ref_path, set_.ref_sha256}};
  }
  size_t size() const override { return set_.src.size(); }
  std::string doc_id(size_t i) const override { return "test/" + std::to_string(check(i)); }

  DocRequests requests(size_t i) const override {
    DocRequests req;
    ContextParts p;
    p.question = wmt_prompt(set_.pair.src_lang, set_.pair.tgt_lang, set_.src[check(i)]);
    req.prompt = fewshot_context(p, chat_);
    engine::GenerateRequest g;
    g.prompt = req.prompt;
    g.max_tokens = kMaxGenToks;
    g.stop = kUntil;
    g.sampler = sampler_;
    req.generate.push_back(std::move(g));
    return req;
  }

  Sample score(size_t i, const DocRequests& req, const DocResults& res) const override {
    if (res.generate.size() != 1)
      fail(ErrorKind::internal, "{} {}: expected 1 generation, got {}", name_, doc_id(i), res.generate.size());
    const std::string text = cut_at_until(res.generate[0].text);
    Sample out;
    out.doc_id = doc_id(i);
    out.prompt_hash = xxh64_hex(req.prompt);
    out.request = {{"context", req.prompt}, {"until", kUntil}, {"max_gen_toks", kMaxGenToks}};
    out.output = {{"text", text}};
    out.target = " " + set_.ref[i];
    const metrics::BleuStats b = metrics::bleu_segment_stats(text, {out.target});
    const metrics::ChrfStats c = metrics::chrf_segment_stats(text, {out.target});
    out.scores["chrf_sentence"] = metrics::chrf_from_stats(c);
    std::vector<int64_t> bv{b.hyp_len, b.ref_len};
    bv.insert(bv.end(), b.correct.begin(), b.correct.end());
    bv.insert(bv.end(), b.total.begin(), b.total.end());
    out.extra = {{"bleu_stats", bv}, {"chrf_stats", c.v}};
    return out;
  }

  std::vector<Metric> aggregate(const std::vector<Sample>& samples) const override;

 private:
  size_t check(size_t i) const {
    if (i >= set_.src.size()) fail(ErrorKind::internal, "{}: document {} out of range ({})", name_, i, set_.src.size());
    return i;
  }

  std::string name_;
  engine::SamplerParams sampler_;
  ChatProtocol chat_;
  datasets::WmtSet set_;
};

size_t doc_index(const std::string& task, const std::string& doc_id) {
  const std::string prefix = "test/";
  size_t idx = 0;
  const char* begin = doc_id.data() + prefix.size();
  const char* end = doc_id.data() + doc_id.size();
  if (doc_id.rfind(prefix, 0) != 0 || std::from_chars(begin, end, idx).ptr != end || begin == end)
    fail(ErrorKind::invalid_input, "{}: sample doc_id '{}' is not of the form test/<index>", task, doc_id);
  return idx;
}

// Corpus metrics over the samples in document order (the bootstrap resamples by position,
// so the order must be lm-eval's: dataset order).
std::vector<Metric> WmtTask::aggregate(const std::vector<Sample>& samples) const {
  std::vector<std::pair<size_t, const Sample*>> ordered;
  for (const Sample& s : samples) ordered.emplace_back(doc_index(name_, s.doc_id), &s);
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> hyps, refs;
  for (const auto& [idx, s] : ordered) {
    if (!s->output.is_object() || !s->output.contains("text") || !s->output["text"].is_string())
      fail(ErrorKind::invalid_input, "{} sample '{}' has no output text", name_, s->doc_id);
    hyps.push_back(s->output["text"].get<std::string>());
    refs.push_back(s->target);
  }
  const auto bleu_segs = metrics::bleu_corpus_segment_stats(hyps, {refs});
  const auto chrf_segs = metrics::chrf_corpus_segment_stats(hyps, {refs});
  metrics::BleuStats bsum;
  for (const auto& st : bleu_segs) bsum += st;
  metrics::ChrfStats csum;
  for (const auto& st : chrf_segs) csum += st;
  const auto n = static_cast<int64_t>(hyps.size());
  return {{"bleu", metrics::bleu_from_stats(bsum).score, metrics::bleu_bootstrap_stderr(bleu_segs), n, true},
          {"chrf", metrics::chrf_from_stats(csum), metrics::chrf_bootstrap_stderr(chrf_segs), n, false}};
}

}  // namespace

std::unique_ptr<Task> make_wmt_task(const std::string& name, const TaskOptions& options) {
  wmt_pair_for_task(name);  // validates the name first, with the list of known names
  return std::make_unique<WmtTask>(name, options);
}

}  // namespace ys::suites
