#include "reports/run_data.h"

#include "common/error.h"

#include <filesystem>

namespace ys::reports {

const store::MetricRecord* RunData::metric(const std::string& name) const {
  for (const auto& m : metrics)
    if (m.name == name) return &m;
  return nullptr;
}

std::optional<double> RunData::tokens_per_s() const {
  if (!run.tokens || !run.wall_s || *run.wall_s <= 0) return std::nullopt;
  return static_cast<double>(*run.tokens) / *run.wall_s;
}

const SampleView* RunData::sample(const std::string& doc_id) const {
  for (const auto& s : samples)
    if (s.doc_id == doc_id) return &s;
  return nullptr;
}

std::string one_line(std::string s, size_t max) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (s.size() <= max) return s;
  size_t cut = max > 3 ? max - 3 : 0;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // keep UTF-8 whole
  return s.substr(0, cut) + "...";
}

std::string prompt_excerpt(const std::string& request_json, size_t max) {
  nlohmann::json j = nlohmann::json::parse(request_json, nullptr, false);
  if (j.is_object()) {
    for (const char* key : {"context", "prompt"}) {
      auto it = j.find(key);
      if (it != j.end() && it->is_string()) {
        std::string s = it->get<std::string>();
        // The end of a few-shot prompt is the question itself.
        if (s.size() > max) s = "..." + s.substr(s.size() - max);
        return one_line(s, max + 3);
      }
    }
  }
  return one_line(request_json, max);
}

namespace {

SampleView to_view(const store::SampleRecord& r) {
  SampleView v;
  v.doc_id = r.doc_id;
  v.prompt_hash = r.prompt_hash;
  nlohmann::json sc = nlohmann::json::parse(r.scores_json, nullptr, false);
  if (sc.is_object()) {
    for (auto it = sc.begin(); it != sc.end(); ++it)
      if (it->is_number()) v.scores[it.key()] = it->get<double>();
  }
  nlohmann::json ex = nlohmann::json::parse(r.extra_json, nullptr, false);
  if (ex.is_object()) {
    for (const char* key : {"bleu_stats", "chrf_stats"})
      if (ex.contains(key) && ex[key].is_array()) v.corpus_stats[key] = ex[key];
    if (ex.contains("category") && ex["category"].is_string()) v.category = ex["category"].get<std::string>();
  }
  v.prompt_excerpt = prompt_excerpt(r.request_json);
  v.output = r.output_json;
  v.target = r.target;
  return v;
}

}  // namespace

RunData load_run(store::Store& st, const std::string& id_or_prefix) {
  RunData d;
  std::string id = st.resolve_run_id(id_or_prefix);
  auto run = st.get_run(id);
  if (!run) fail(ErrorKind::invalid_input, "run {} not found in {}", id_or_prefix, st.path());
  d.run = *run;
  d.metrics = st.get_metrics(id);
  for (const auto& s : st.get_samples(id)) d.samples.push_back(to_view(s));
  d.perf = st.get_perf_results(id);
  if (!run->hardware_id.empty()) d.hardware = st.get_hardware(run->hardware_id);
  d.source = "db:" + st.path();
  return d;
}

std::string run_attribute(const store::RunRecord& r, const std::string& cpu_model, const std::string& key) {
  if (key == "quant") return r.quant;
  if (key == "tag") return r.tag;
  if (key == "suite") return r.suite;
  if (key == "status") return r.status;
  if (key == "hardware") return cpu_model.empty() ? r.hardware_id.substr(0, 12) : cpu_model;
  if (key == "model") return std::filesystem::path(r.model_path).filename().string();
  nlohmann::json s = nlohmann::json::parse(r.settings_json, nullptr, false);
  if (!s.is_object() || !s.contains(key)) return "";
  const auto& v = s[key];
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string run_attribute(const RunData& r, const std::string& key) {
  return run_attribute(r.run, r.hardware ? r.hardware->cpu_model : "", key);
}

}  // namespace ys::reports

namespace ys::reports {

std::vector<std::string> runs_matching(store::Store& st, const std::string& where) {
  std::vector<std::pair<std::string, std::string>> terms;
  std::string term;
  auto trim = [](std::string s) {
    size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
    return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
  };
  for (size_t i = 0; i <= where.size(); ++i) {
    if (i < where.size() && where[i] != ',') {
      term += where[i];
      continue;
    }
    term = trim(term);
    if (!term.empty()) {
      size_t eq = term.find('=');
      if (eq == std::string::npos || eq == 0)
        fail(ErrorKind::invalid_input, "--where: expected key=value terms separated by commas, got \"{}\"", term);
      terms.emplace_back(trim(term.substr(0, eq)), trim(term.substr(eq + 1)));
    }
    term.clear();
  }
  std::vector<store::RunRecord> runs = st.list_runs();
  std::vector<std::string> ids;
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    const auto& r = *it;
    std::string cpu;
    if (!r.hardware_id.empty())
      if (auto hw = st.get_hardware(r.hardware_id)) cpu = hw->cpu_model;
    bool ok = true;
    for (const auto& [k, v] : terms) {
      if (k == "model") ok = ok && r.model_path.find(v) != std::string::npos;
      else if (k == "hardware") ok = ok && (cpu.find(v) != std::string::npos || r.hardware_id.rfind(v, 0) == 0);
      else if (k == "kind") ok = ok && r.kind == v;
      else ok = ok && run_attribute(r, cpu, k) == v;
    }
    if (ok) ids.push_back(r.id);
  }
  return ids;
}

}  // namespace ys::reports
