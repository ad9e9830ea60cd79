// lm-eval output -> runs in the store (lmeval.h).
#include "common/error.h"
#include "common/hash.h"
#include "reports/drift.h"
#include "reports/lmeval.h"
#include "reports/lmeval_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace ys::reports {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kLetters[4] = {"A", "B", "C", "D"};

// One document being assembled from the sample lines of its task (gsm8k writes one line
// per filter).
struct Doc {
  std::string task;
  int64_t index = 0;
  std::string context;
  json request = json::object();
  json output = json::object();
  std::string target;
  std::map<std::string, double> scores;
  json extra = json::object();
};

struct Suite {
  std::vector<std::string> tasks;
  std::map<std::string, Doc> docs;  // by Yardstick doc id
};

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) fail(ErrorKind::io, "{}: cannot open", p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The task's kind from its config (when the results file has one) and name.
enum class Kind { mmlu, gsm8k, generic };

Kind task_kind(const std::string& task, const json& config) {
  const std::string output_type = config.is_object() ? lmeval::opt_string(config, "output_type") : "";
  if (task == "gsm8k" || task == "gsm8k_cot") return output_type.empty() || output_type == "generate_until" ? Kind::gsm8k : Kind::generic;
  if (!starts_with(task, "mmlu_")) return Kind::generic;
  const std::string rest = task.substr(5);
  if (config.is_object() && !config.empty()) {  // the config decides: MMLU's data, one subject, letters
    const std::string path = lmeval::opt_string(config, "dataset_path");
    return path.find("mmlu") != std::string::npos && lmeval::opt_string(config, "dataset_name") == rest &&
                   output_type == "multiple_choice"
               ? Kind::mmlu
               : Kind::generic;
  }
  // No config: lm-eval's other MMLU families and the category groups are not subject tasks.
  for (const std::string v : {"pro", "flan", "continuation", "generative", "redux", "prox", "cot", "stem", "humanities",
                              "social_sciences", "other", "tr", "arabic"})
    if (rest == v || starts_with(rest, v + "_")) return Kind::generic;
  return rest.find("mmlu") == std::string::npos ? Kind::mmlu : Kind::generic;
}

std::string mmlu_subject(const std::string& task) { return task.substr(5); }

// MMLU: one line per document, four (context, " X") requests, [loglikelihood, is_greedy] each.
void add_mmlu(const lmeval::SampleLine& s, Doc& d) {
  if (s.args.size() != 4)
    fail(ErrorKind::format, "{}: mmlu sample should have 4 requests, has {}", s.where, s.args.size());
  json lls = json::array(), greedy = json::array(), conts = json::array();
  size_t pred = 0;
  std::vector<double> v;
  for (size_t k = 0; k < 4; ++k) {
    if (s.args[k].first != s.args[0].first) fail(ErrorKind::format, "{}: the 4 requests have different contexts", s.where);
    conts.push_back(s.args[k].second.is_string() ? s.args[k].second : json(s.args[k].second.dump()));
    const auto [ll, g] = lmeval::loglikelihood_pair(s.filtered_resps, k, s.where);
    v.push_back(ll);
    lls.push_back(ll);
    greedy.push_back(g);
    if (ll > v[pred]) pred = k;  // first maximum, like numpy.argmax
  }
  d.context = s.args[0].first;
  d.request = {{"context", d.context}, {"continuations", conts}};
  d.output = {{"logprobs", lls}, {"is_greedy", greedy}, {"pred", kLetters[pred]}};
  // lm-eval writes the target as str(): "1" for the answer index (older versions: 1).
  const std::string t = s.target.is_string() ? s.target.get<std::string>() : s.target.dump();
  d.target = t.size() == 1 && t[0] >= '0' && t[0] <= '3' ? kLetters[t[0] - '0'] : t;
  for (const auto& [m, val] : s.metrics) d.scores[m] = val;
  d.extra["subject"] = mmlu_subject(s.task);
}

// GSM8K: one line per filter, same generation; the filter outputs go next to the text.
void add_gsm8k(const lmeval::SampleLine& s, Doc& d) {
  if (s.args.size() != 1) fail(ErrorKind::format, "{}: gsm8k sample should have 1 request, has {}", s.where, s.args.size());
  const std::string text = lmeval::generated_text(s.resps, s.where);
  if (d.output.contains("text") && d.output["text"] != text)
    fail(ErrorKind::format, "{}: doc {} has different generations under different filters", s.where, s.doc_id);
  d.context = s.args[0].first;
  json until = json::array();
  int64_t max_gen = 256;  // HFLM.max_gen_toks when the task does not set it
  const json& gen = s.args[0].second;
  if (gen.is_object()) {
    if (gen.contains("until") && gen["until"].is_array()) until = gen["until"];
    if (gen.contains("max_gen_toks") && gen["max_gen_toks"].is_number_integer()) max_gen = gen["max_gen_toks"].get<int64_t>();
  }
  d.request = {{"context", d.context}, {"until", until}, {"max_gen_toks", max_gen}};
  d.output["text"] = text;
  d.output[s.filter] = lmeval::filtered_text(s.filtered_resps, s.where);
  d.target = s.target.is_string() ? s.target.get<std::string>() : s.target.dump();
  for (const auto& [m, val] : s.metrics) d.scores[m + "," + s.filter] = val;
}

void add_generic(const lmeval::SampleLine& s, Doc& d) {
  d.context = s.args.empty() ? "" : s.args[0].first;
  json args = json::array();
  for (const auto& [ctx, a1] : s.args) args.push_back({ctx, a1});
  d.request = {{"context", d.context}, {"arguments", args}};
  d.output["resps"] = s.resps;
  d.output["filtered_resps"][s.filter] = s.filtered_resps;
  d.target = s.target.is_string() ? s.target.get<std::string>() : s.target.dump();
  for (const auto& [m, val] : s.metrics) d.scores[m + "," + s.filter] = val;
}

void read_samples(const fs::path& file, const std::string& task, const json& config, std::map<std::string, Suite>& suites) {
  const Kind kind = task_kind(task, config);
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(ErrorKind::io, "{}: cannot open", file.string());
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const lmeval::SampleLine s = lmeval::parse_sample_line(line, task, fmt::format("{}:{}", file.string(), line_no));
    const auto [suite, doc_id] = lmeval_doc_key(task, s.doc_id, config);
    Suite& su = suites[suite];
    if (std::find(su.tasks.begin(), su.tasks.end(), task) == su.tasks.end()) su.tasks.push_back(task);
    Doc& d = su.docs[doc_id];
    d.task = task;
    d.index = s.doc_id;
    d.extra["lm_eval"] = {{"task", task}, {"doc_hash", s.doc_hash}, {"prompt_hash", s.prompt_hash}, {"target_hash", s.target_hash}};
    if (kind == Kind::mmlu) add_mmlu(s, d);
    else if (kind == Kind::gsm8k) add_gsm8k(s, d);
    else add_generic(s, d);
  }
}

std::optional<double> number_field(const json& obj, const std::string& key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) return std::nullopt;
  const double v = it->get<double>();
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

int64_t effective_n(const json& results, const std::string& task, int64_t fallback) {
  const json ns = lmeval::opt_object(results, "n-samples");
  if (ns.contains(task) && ns[task].is_object()) {
    if (auto e = number_field(ns[task], "effective")) return static_cast<int64_t>(*e);
  }
  return fallback;
}

int64_t original_n(const json& results, const std::vector<std::string>& tasks) {
  const json ns = lmeval::opt_object(results, "n-samples");
  int64_t total = 0;
  for (const auto& t : tasks) {
    if (!ns.contains(t) || !ns[t].is_object()) return 0;
    auto o = number_field(ns[t], "original");
    if (!o) return 0;
    total += static_cast<int64_t>(*o);
  }
  return total;
}

// Mean and the standard error lm-eval reports for a mean (sample stddev / sqrt(n)).
store::MetricRecord mean_metric(const std::string& name, const std::vector<double>& xs, bool headline) {
  store::MetricRecord m;
  m.name = name;
  m.n = static_cast<int64_t>(xs.size());
  m.headline = headline;
  if (xs.empty()) return m;
  double sum = 0;
  for (double x : xs) sum += x;
  m.value = sum / double(xs.size());
  if (xs.size() > 1) {
    double ss = 0;
    for (double x : xs) ss += (x - m.value) * (x - m.value);
    m.std_err = std::sqrt(ss / double(xs.size() - 1)) / std::sqrt(double(xs.size()));
  }
  return m;
}

// The task's "<metric>,<filter>" entries of the results file, with their stderr.
std::vector<store::MetricRecord> task_metrics(const json& res, const std::string& task, const std::string& prefix,
                                              int64_t n) {
  std::vector<store::MetricRecord> out;
  const json r = lmeval::opt_object(lmeval::opt_object(res, "results"), task);
  for (auto it = r.begin(); it != r.end(); ++it) {
    const std::string key = it.key();
    const size_t comma = key.find(',');
    if (comma == std::string::npos || key.find("_stderr") != std::string::npos || !it->is_number()) continue;
    store::MetricRecord m;
    m.name = prefix + key;
    m.value = it->get<double>();
    m.n = n;
    m.std_err = number_field(r, key.substr(0, comma) + "_stderr" + key.substr(comma));
    out.push_back(m);
  }
  return out;
}

std::vector<store::MetricRecord> suite_metrics(const std::string& suite, const Suite& su, const json& res) {
  std::vector<store::MetricRecord> out;
  if (suite == "mmlu") {
    std::vector<double> all;
    std::map<std::string, std::vector<double>> by_task;
    for (const auto& [id, d] : su.docs) {
      auto it = d.scores.find("acc");
      if (it == d.scores.end()) continue;
      all.push_back(it->second);
      by_task[d.task].push_back(it->second);
    }
    store::MetricRecord acc = mean_metric("acc", all, true);
    // lm-eval's own group number (pooled stderr) when the run had the mmlu group and exactly
    // these subjects under it.
    const json group = lmeval::opt_object(lmeval::opt_object(res, "results"), "mmlu");
    std::set<std::string> leaves, imported(su.tasks.begin(), su.tasks.end());
    lmeval::group_leaves(res, "mmlu", leaves);
    if (auto v = number_field(group, "acc,none"); v && leaves == imported && std::fabs(*v - acc.value) < 1e-9) {
      acc.value = *v;
      acc.std_err = number_field(group, "acc_stderr,none");
    }
    out.push_back(acc);
    for (const auto& t : su.tasks) {
      for (auto m : task_metrics(res, t, "", effective_n(res, t, static_cast<int64_t>(by_task[t].size()))))
        if (m.name == "acc,none") m.name = "acc/" + mmlu_subject(t), out.push_back(m);
    }
    return out;
  }
  for (const auto& t : su.tasks) {
    const int64_t n = effective_n(res, t, static_cast<int64_t>(su.docs.size()));
    const std::string prefix = su.tasks.size() > 1 ? t + "/" : "";
    for (auto m : task_metrics(res, t, prefix, n)) {
      if (suite == "gsm8k" || suite == "gsm8k_cot") m.headline = m.name == "exact_match,strict-match";
      out.push_back(m);
    }
  }
  if (!out.empty() && std::none_of(out.begin(), out.end(), [](const auto& m) { return m.headline; })) out.front().headline = true;
  return out;
}

store::RunRecord run_record(const std::string& suite, const Suite& su, const json& res, const LmEvalOutput& out,
                            const LmEvalImportOptions& o) {
  const json cfg = lmeval::opt_object(res, "config");
  const json configs = lmeval::opt_object(res, "configs");
  const json nshot = lmeval::opt_object(res, "n-shot");
  const json versions = lmeval::opt_object(res, "versions");
  const std::string version = lmeval::opt_string(res, "lm_eval_version");
  store::RunRecord r;
  r.kind = "eval";
  r.suite = suite;
  r.model_path = lmeval::model_path(cfg, res);
  r.model_sha256 = o.model_sha256;
  r.quant = lmeval::opt_string(cfg, "model_dtype");
  json task_configs = json::object(), task_versions = json::object(), datasets = json::object();
  std::optional<int64_t> shots;
  for (const auto& t : su.tasks) {
    if (configs.contains(t)) task_configs[t] = configs[t];
    if (versions.contains(t)) task_versions[t] = versions[t];
    if (nshot.contains(t) && nshot[t].is_number_integer()) {
      const int64_t k = nshot[t].get<int64_t>();
      if (shots && *shots != k) fail(ErrorKind::format, "{}: tasks of suite {} have different n-shot", out.results_file.string(), suite);
      shots = k;
    }
    const json c = lmeval::opt_object(configs, t);
    const std::string dataset = lmeval::opt_string(c, "dataset_path") +
                                (lmeval::opt_string(c, "dataset_name").empty() ? "" : "/" + lmeval::opt_string(c, "dataset_name"));
    const json hashes = lmeval::opt_object(res, "task_hashes");
    datasets["lm-eval:" + t] = hashes.contains(t) && hashes[t].is_string() ? hashes[t] : json(dataset);
  }
  const json chat = res.contains("chat_template") ? res["chat_template"] : json(nullptr);
  json protocol = {{"source", "lm-eval"},
                   {"lm_eval_version", version},
                   {"tasks", su.tasks},
                   {"chat_template", !chat.is_null() && !(chat.is_string() && chat.get<std::string>().empty())},
                   {"fewshot_as_multiturn", res.contains("fewshot_as_multiturn") ? res["fewshot_as_multiturn"] : json(false)},
                   {"versions", task_versions},
                   {"configs", task_configs}};
  if (shots) protocol["num_fewshot"] = *shots;
  r.protocol_json = protocol.dump(-1, ' ', false, json::error_handler_t::replace);
  r.protocol_version = fmt::format("lm-eval {} {}", version.empty() ? "?" : version, suite);
  r.dataset_json = datasets.dump(-1, ' ', false, json::error_handler_t::replace);
  json settings = {{"source", "lm-eval"},
                   {"lm_eval_version", version},
                   {"results_file", out.results_file.string()},
                   {"model", lmeval::opt_string(cfg, "model")},
                   {"model_args", cfg.contains("model_args") ? cfg["model_args"] : json(nullptr)},
                   {"batch_size", cfg.contains("batch_size") ? cfg["batch_size"] : json(nullptr)},
                   {"device", cfg.contains("device") && !cfg["device"].is_null() ? cfg["device"] : json("")},
                   {"n_original", original_n(res, su.tasks)}};
  if (auto lim = number_field(cfg, "limit"); lim && *lim > 0) settings["limit"] = static_cast<int64_t>(*lim);
  r.settings_json = settings.dump(-1, ' ', false, json::error_handler_t::replace);
  r.code_version = version.empty() ? "lm-eval" : "lm-eval " + version;
  r.seed = cfg.contains("fewshot_seed") && cfg["fewshot_seed"].is_number_integer() ? cfg["fewshot_seed"].get<int64_t>() : 0;
  r.tag = o.tag;
  return r;
}

}  // namespace

std::pair<std::string, std::string> lmeval_doc_key(const std::string& task, int64_t doc_id, const json& config) {
  if (task_kind(task, config) == Kind::mmlu) return {"mmlu", mmlu_subject(task) + "/" + std::to_string(doc_id)};
  if (task_kind(task, config) == Kind::gsm8k) return {task, "test/" + std::to_string(doc_id)};
  return {"lm-eval/" + task, task + "/" + std::to_string(doc_id)};
}

LmEvalOutput find_lmeval_output(const fs::path& dir, const std::string& results_name) {
  if (!fs::is_directory(dir)) fail(ErrorKind::io, "{}: not a directory (expected lm-eval's --output_path)", dir.string());
  std::vector<std::pair<std::string, fs::path>> found;  // (date id, path)
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (!e.is_regular_file() || !starts_with(name, "results_") || name.size() <= 13 || name.substr(name.size() - 5) != ".json")
      continue;
    found.emplace_back(name.substr(8, name.size() - 13), e.path());
  }
  if (found.empty()) fail(ErrorKind::io, "{}: no results_<date>.json file (run lm-eval with --output_path and --log_samples)", dir.string());
  std::sort(found.begin(), found.end());
  auto pick = found.end() - 1;
  if (!results_name.empty()) {
    pick = std::find_if(found.begin(), found.end(), [&](const auto& f) {
      return f.first == results_name || f.second.filename().string() == results_name;
    });
    if (pick == found.end()) fail(ErrorKind::invalid_input, "--results {}: no such results file under {}", results_name, dir.string());
  }
  LmEvalOutput out;
  out.date_id = pick->first;
  out.results_file = pick->second;
  const std::string suffix = "_" + out.date_id + ".jsonl";
  for (const auto& e : fs::directory_iterator(out.results_file.parent_path())) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && starts_with(name, "samples_") && name.size() > suffix.size() + 8 &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.samples_files.push_back(e.path());
  }
  std::sort(out.samples_files.begin(), out.samples_files.end());
  if (out.samples_files.empty())
    fail(ErrorKind::io, "{}: no samples_<task>_{}.jsonl next to it (run lm-eval with --log_samples)", out.results_file.string(), out.date_id);
  return out;
}

std::vector<LmEvalImported> import_lmeval(store::Store& st, const LmEvalOutput& out, const LmEvalImportOptions& o) {
  const std::string text = read_text(out.results_file);
  if (!json_depth_within(text, kMaxJsonDepth)) fail(ErrorKind::format, "{}: JSON nested too deeply", out.results_file.string());
  json res;
  try {
    res = json::parse(text);
  } catch (const json::exception& e) {
    fail(ErrorKind::format, "{}: not valid JSON: {}", out.results_file.string(), e.what());
  }
  if (!res.is_object() || !res.contains("results") || !res["results"].is_object())
    fail(ErrorKind::format, "{}: expected lm-eval's results JSON (an object with \"results\")", out.results_file.string());
  const json configs = lmeval::opt_object(res, "configs");
  std::map<std::string, Suite> suites;
  const std::string suffix = "_" + out.date_id + ".jsonl";
  for (const auto& f : out.samples_files) {
    const std::string name = f.filename().string();
    const std::string task = name.substr(8, name.size() - 8 - suffix.size());
    read_samples(f, task, lmeval::opt_object(configs, task), suites);
  }
  std::vector<LmEvalImported> created;
  for (const auto& [suite, su] : suites) {
    std::vector<store::SampleRecord> records;
    for (const auto& [id, d] : su.docs) {
      store::SampleRecord r;
      r.doc_id = id;
      r.prompt_hash = xxh64_hex(d.context);
      r.request_json = d.request.dump(-1, ' ', false, json::error_handler_t::replace);
      r.output_json = d.output.dump(-1, ' ', false, json::error_handler_t::replace);
      r.target = d.target;
      r.scores_json = json(d.scores).dump();
      r.extra_json = d.extra.dump(-1, ' ', false, json::error_handler_t::replace);
      records.push_back(std::move(r));
    }
    store::RunRecord rec = run_record(suite, su, res, out, o);
    const std::string id = st.create_run(rec);
    st.append_samples(id, records);
    st.set_metrics(id, suite_metrics(suite, su, res));
    std::optional<double> wall;
    if (res.contains("total_evaluation_time_seconds")) {
      const json& t = res["total_evaluation_time_seconds"];
      if (t.is_number()) wall = t.get<double>();
      else if (t.is_string()) wall = std::strtod(t.get<std::string>().c_str(), nullptr);
    }
    st.finish_run(id, "done", wall, std::nullopt, "");
    created.push_back({id, suite, su.tasks, static_cast<int64_t>(records.size())});
  }
  return created;
}

}  // namespace ys::reports
