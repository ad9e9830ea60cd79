// A stored run -> lm-eval's results JSON and samples JSONL (lmeval.h).
#include "common/error.h"
#include "common/hash.h"
#include "reports/claims.h"
#include "reports/lmeval.h"
#include "reports/lmeval_format.h"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

namespace ys::reports {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json parse_or(const std::string& text, json fallback) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? fallback : j;
}

// One exported task: its lm-eval name and the run's samples that belong to it.
struct Task {
  std::string name;
  std::string alias;
  std::vector<std::pair<int64_t, const store::SampleRecord*>> docs;  // (lm-eval doc_id, record)
};

// "subject/17" -> 17; -1 when the id has no numeric tail.
int64_t doc_index(const std::string& doc_id) {
  const size_t slash = doc_id.rfind('/');
  const std::string tail = slash == std::string::npos ? doc_id : doc_id.substr(slash + 1);
  if (tail.empty() || tail.size() > 12 || tail.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::strtoll(tail.c_str(), nullptr, 10);
}

std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') ? c : '_';
  return out;
}

std::vector<Task> tasks_of(const store::RunRecord& run, const std::vector<store::SampleRecord>& samples) {
  std::map<std::string, Task> by;
  size_t order = 0;
  for (const auto& s : samples) {
    std::string name;
    int64_t idx = doc_index(s.doc_id);
    if (run.suite == "mmlu") {
      const size_t slash = s.doc_id.find('/');
      if (slash == std::string::npos) fail(ErrorKind::format, "run {}: mmlu doc id {} is not subject/N", run.id, s.doc_id);
      name = "mmlu_" + s.doc_id.substr(0, slash);
    } else {
      name = sanitize(run.suite);
    }
    if (idx < 0) idx = static_cast<int64_t>(order);
    ++order;
    Task& t = by[name];
    t.name = name;
    t.alias = run.suite == "mmlu" ? name.substr(5) : name;
    t.docs.emplace_back(idx, &s);
  }
  std::vector<Task> out;
  for (auto& [n, t] : by) {
    std::sort(t.docs.begin(), t.docs.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    out.push_back(std::move(t));
  }
  return out;
}

// "name" or "name,filter" -> (name, filter), "none" when there is no filter.
std::pair<std::string, std::string> split_metric(const std::string& m) {
  const size_t comma = m.find(',');
  if (comma == std::string::npos) return {m, "none"};
  return {m.substr(0, comma), m.substr(comma + 1)};
}

void put_metric(json& entry, const std::string& name, const store::MetricRecord& m) {
  const auto [metric, filter] = split_metric(name);
  entry[metric + "," + filter] = m.value;
  entry[metric + "_stderr," + filter] = m.std_err ? json(*m.std_err) : json("N/A");
}

json sample_common(int64_t idx, const store::SampleRecord& s, const json& target, const std::string& context) {
  json doc = {{"yardstick_doc_id", s.doc_id}};
  const json extra = parse_or(s.extra_json, json::object());
  if (extra.is_object() && extra.contains("subject")) doc["subject"] = extra["subject"];
  return {{"doc_id", idx},
          {"doc", doc},
          {"target", target},
          {"doc_hash", sha256_hex(dump(doc))},
          {"prompt_hash", sha256_hex(context)},
          {"target_hash", sha256_hex(target.is_string() ? target.get<std::string>() : target.dump())}};
}

// The lines of one document: MMLU one line of 4 loglikelihood requests; gsm8k one line per
// filter; other suites one line with the output as the response.
std::vector<json> sample_lines(const std::string& suite, int64_t idx, const store::SampleRecord& s) {
  const json req = parse_or(s.request_json, json::object());
  const json out = parse_or(s.output_json, json::object());
  const json scores = parse_or(s.scores_json, json::object());
  const std::string context = req.is_object() ? lmeval::opt_string(req, "context") : "";
  std::vector<json> lines;
  if (suite == "mmlu") {
    static const std::string kLetters = "ABCD";
    const size_t t = s.target.size() == 1 ? kLetters.find(s.target[0]) : std::string::npos;
    // lm-eval writes str(target) (the answer index) and str() of every response value.
    json line = sample_common(idx, s, t == std::string::npos ? json(s.target) : json(std::to_string(t)), context);
    json args = json::object(), resps = json::array(), filtered = json::array();
    const json conts = req.value("continuations", json::array());
    const json lls = out.value("logprobs", json::array()), greedy = out.value("is_greedy", json::array());
    if (!conts.is_array() || !lls.is_array() || !greedy.is_array() || conts.size() != lls.size() || lls.size() != greedy.size())
      fail(ErrorKind::format, "sample {}: expected continuations, logprobs and is_greedy of one length", s.doc_id);
    for (size_t k = 0; k < conts.size(); ++k) {
      args[fmt::format("gen_args_{}", k)] = {{"arg_0", context}, {"arg_1", conts[k]}};
      if (!lls[k].is_number() || !greedy[k].is_boolean())
        fail(ErrorKind::format, "sample {}: logprobs/is_greedy [{}] are not a number and a boolean", s.doc_id, k);
      const json pair = json::array({fmt::format("{}", lls[k].get<double>()), greedy[k].get<bool>() ? "True" : "False"});
      resps.push_back(json::array({pair}));
      filtered.push_back(pair);
    }
    line["arguments"] = args;
    line["resps"] = resps;
    line["filtered_resps"] = filtered;
    line["filter"] = "none";
    line["metrics"] = json::array();
    for (auto it = scores.begin(); it != scores.end(); ++it) line["metrics"].push_back(it.key()), line[it.key()] = *it;
    lines.push_back(line);
    return lines;
  }
  const std::string text = out.is_object() && out.contains("text") && out["text"].is_string() ? out["text"].get<std::string>()
                                                                                              : s.output_json;
  json gen = {{"until", req.value("until", json::array())}, {"do_sample", false}, {"temperature", 0.0}};
  if (req.contains("max_gen_toks")) gen["max_gen_toks"] = req["max_gen_toks"];
  std::map<std::string, std::vector<std::pair<std::string, json>>> by_filter;  // filter -> (metric, value)
  for (auto it = scores.begin(); it != scores.end(); ++it) {
    const auto [metric, filter] = split_metric(it.key());
    by_filter[filter].emplace_back(metric, *it);
  }
  if (by_filter.empty()) by_filter["none"];
  for (const auto& [filter, metrics] : by_filter) {
    json line = sample_common(idx, s, json(s.target), context);
    line["arguments"] = {{"gen_args_0", {{"arg_0", context}, {"arg_1", gen}}}};
    line["resps"] = json::array({json::array({text})});
    const json f = out.is_object() && out.contains(filter) ? out[filter] : json(text);
    line["filtered_resps"] = json::array({f});
    line["filter"] = filter;
    line["metrics"] = json::array();
    for (const auto& [m, v] : metrics) line["metrics"].push_back(m), line[m] = v;
    lines.push_back(line);
  }
  return lines;
}

// "2026-11-27T17:33:50.123Z" -> "2026-11-27T17-33-50.123" (lm-eval's date id form).
std::string date_id(const std::string& created_at) {
  std::string s = created_at;
  if (!s.empty() && s.back() == 'Z') s.pop_back();
  for (char& c : s)
    if (c == ':') c = '-';
  return s.empty() ? "unknown" : s;
}

void write_file(const fs::path& p, const std::string& text) {
  std::ofstream o(p, std::ios::binary);
  if (!o) fail(ErrorKind::io, "{}: cannot write", p.string());
  o << text;
  if (!o) fail(ErrorKind::io, "{}: write failed", p.string());
}

}  // namespace

std::vector<fs::path> export_lmeval(store::Store& st, const std::string& run_id, const fs::path& dir) {
  const std::string id = st.resolve_run_id(run_id);
  const store::RunRecord run = *st.get_run(id);
  if (run.status != "done") fail(ErrorKind::invalid_input, "run {} is {}, not done: only finished runs are exported", id, run.status);
  const std::vector<store::SampleRecord> samples = st.get_samples(id);
  const std::vector<store::MetricRecord> metrics = st.get_metrics(id);
  const json protocol = parse_or(run.protocol_json, json::object());
  const json settings = parse_or(run.settings_json, json::object());
  const std::vector<Task> tasks = tasks_of(run, samples);
  std::map<std::string, const store::MetricRecord*> by_name;
  for (const auto& m : metrics) by_name[m.name] = &m;

  json results = json::object(), configs = json::object(), versions = json::object(), nshot = json::object(),
       hib = json::object(), nsamples = json::object(), groups = json::object(), group_subtasks = json::object();
  const int shots = protocol.is_object() && protocol.contains("num_fewshot") && protocol["num_fewshot"].is_number_integer()
                        ? protocol["num_fewshot"].get<int>() : 0;
  for (const Task& t : tasks) {
    json entry = {{"alias", run.suite == "mmlu" ? " - " + t.alias : t.alias}};
    if (run.suite == "mmlu") {
      if (auto it = by_name.find("acc/" + t.alias); it != by_name.end()) put_metric(entry, "acc", *it->second);
    } else {
      for (const auto& m : metrics) put_metric(entry, m.name, m);
    }
    results[t.name] = entry;
    json c = {{"task", t.name}, {"output_type", run.suite == "mmlu" ? "multiple_choice" : "generate_until"},
              {"num_fewshot", shots}, {"yardstick_protocol", protocol}, {"metadata", {{"version", run.protocol_version}}}};
    if (run.suite == "mmlu") c["dataset_path"] = "yardstick/mmlu", c["dataset_name"] = t.alias, c["task_alias"] = t.alias;
    configs[t.name] = c;
    versions[t.name] = run.protocol_version;
    nshot[t.name] = shots;
    json h = json::object();
    for (const auto& [name, m] : by_name) h[split_metric(name.substr(0, name.find('/'))).first] = true;
    hib[t.name] = h;
    nsamples[t.name] = {{"original", t.docs.size()}, {"effective", t.docs.size()}};
  }
  if (run.suite == "mmlu") {
    json g = {{"alias", "mmlu"}};
    if (auto it = by_name.find("acc"); it != by_name.end()) put_metric(g, "acc", *it->second);
    results["mmlu"] = g;
    groups["mmlu"] = g;
    json subs = json::array();
    for (const Task& t : tasks) subs.push_back(t.name);
    group_subtasks["mmlu"] = subs;
    versions["mmlu"] = run.protocol_version;
    nshot["mmlu"] = shots;
  }
  const std::string date = date_id(run.created_at);
  std::vector<fs::path> written;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(ErrorKind::io, "{}: cannot create the directory: {}", dir.string(), ec.message());
  for (const Task& t : tasks) {
    std::string text;
    for (const auto& [idx, rec] : t.docs)
      for (const json& line : sample_lines(run.suite, idx, *rec)) text += dump(line) + "\n";
    const fs::path p = dir / ("samples_" + t.name + "_" + date + ".jsonl");
    write_file(p, text);
    written.push_back(p);
  }
  const std::string model_name = std::filesystem::path(run.model_path).filename().string();
  const bool chat = protocol.is_object() && protocol.contains("chat_template") && chat_template_on(protocol["chat_template"]);
  json out = {{"results", results},
              {"groups", groups},
              {"group_subtasks", group_subtasks},
              {"configs", configs},
              {"versions", versions},
              {"n-shot", nshot},
              {"higher_is_better", hib},
              {"n-samples", nsamples},
              {"config",
               {{"model", "yardstick"},
                {"model_args", fmt::format("model={},quant={},sha256={}", run.model_path, run.quant, run.model_sha256)},
                {"batch_size", settings.value("batch_size", json(nullptr))},
                {"batch_sizes", json::array()},
                {"device", settings.value("device", json(nullptr))},
                {"use_cache", nullptr},
                {"limit", settings.value("limit", 0) > 0 ? settings["limit"] : json(nullptr)},
                {"bootstrap_iters", 0},
                {"gen_kwargs", nullptr},
                {"random_seed", run.seed},
                {"numpy_seed", run.seed},
                {"torch_seed", run.seed},
                {"fewshot_seed", run.seed}}},
              {"git_hash", run.code_version},
              {"date", run.created_at},
              {"model_source", "yardstick"},
              {"model_name", run.model_path},
              {"model_name_sanitized", sanitize(model_name)},
              {"chat_template", chat ? json("yardstick") : json(nullptr)},
              {"chat_template_sha", nullptr},
              {"fewshot_as_multiturn", false},
              {"system_instruction", nullptr},
              {"total_evaluation_time_seconds", run.wall_s ? json(fmt::format("{}", *run.wall_s)) : json(nullptr)},
              {"yardstick", {{"run_id", run.id}, {"suite", run.suite}, {"model_sha256", run.model_sha256},
                             {"protocol_version", run.protocol_version}, {"settings", settings}}}};
  const fs::path rp = dir / ("results_" + date + ".json");
  write_file(rp, out.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
  written.insert(written.begin(), rp);
  return written;
}

}  // namespace ys::reports
