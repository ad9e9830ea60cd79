// Claims files and their check against the store (claims.h).
#include "reports/claims.h"

#include "common/error.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <set>

namespace ys::reports {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

const char* type_name(const json& v) { return v.type_name(); }

// Typed access to one key of an object, naming the file and key in errors.
class Fields {
 public:
  Fields(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {}

  void only(const std::set<std::string>& allowed) const {
    for (auto it = obj_.begin(); it != obj_.end(); ++it)
      if (!allowed.count(it.key())) {
        std::string list;
        for (const auto& k : allowed) list += (list.empty() ? "" : ", ") + k;
        fail(ErrorKind::format, "{}: unknown key \"{}\" (expected {})", where_, it.key(), list);
      }
  }
  std::string str(const std::string& key, bool required) const {
    const json* v = get(key, required);
    if (!v) return "";
    if (!v->is_string()) fail(ErrorKind::format, "{}: key \"{}\": expected a string, got {}", where_, key, type_name(*v));
    return v->get<std::string>();
  }
  double number(const std::string& key) const {
    const json* v = get(key, true);
    if (!v->is_number()) fail(ErrorKind::format, "{}: key \"{}\": expected a number, got {}", where_, key, type_name(*v));
    const double d = v->get<double>();
    if (!std::isfinite(d)) fail(ErrorKind::format, "{}: key \"{}\": expected a finite number", where_, key);
    return d;
  }
  int integer(const std::string& key) const {
    const json* v = get(key, true);
    if (!v->is_number_integer())
      fail(ErrorKind::format, "{}: key \"{}\": expected an integer, got {}", where_, key, type_name(*v));
    const int64_t i = v->get<int64_t>();
    if (i < 0 || i > 1000) fail(ErrorKind::format, "{}: key \"{}\": expected 0..1000, got {}", where_, key, i);
    return static_cast<int>(i);
  }
  bool boolean(const std::string& key) const {
    const json* v = get(key, true);
    if (!v->is_boolean()) fail(ErrorKind::format, "{}: key \"{}\": expected true or false, got {}", where_, key, type_name(*v));
    return v->get<bool>();
  }
  const std::string& where() const { return where_; }

 private:
  const json* get(const std::string& key, bool required) const {
    auto it = obj_.find(key);
    if (it == obj_.end()) {
      if (required) fail(ErrorKind::format, "{}: missing key \"{}\"", where_, key);
      return nullptr;
    }
    return &*it;
  }
  const json& obj_;
  std::string where_;
};

Claim claim_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) fail(ErrorKind::format, "{}: expected an object, got {}", where, type_name(j));
  Fields f(j, where);
  f.only({"suite", "metric", "value", "unit", "shots", "chat_template", "source", "notes", "not_checkable"});
  Claim c;
  c.suite = f.str("suite", true);
  c.metric = f.str("metric", true);
  c.value = f.number("value");
  c.shots = f.integer("shots");
  c.chat_template = f.boolean("chat_template");
  c.source = f.str("source", false);
  c.notes = f.str("notes", false);
  c.not_checkable = f.str("not_checkable", false);
  if (j.contains("not_checkable") && c.not_checkable.empty())
    fail(ErrorKind::format, "{}: key \"not_checkable\": expected the reason (a non-empty string)", where);
  if (c.suite.empty() || c.metric.empty()) fail(ErrorKind::format, "{}: \"suite\" and \"metric\" must not be empty", where);
  const bool fraction = claim_metric_is_fraction(c.metric);
  c.unit = f.str("unit", false);
  if (c.unit.empty()) c.unit = fraction ? "percent" : "points";
  if (c.unit != "percent" && c.unit != "fraction" && c.unit != "points")
    fail(ErrorKind::format, "{}: key \"unit\": expected \"percent\", \"fraction\" or \"points\", got \"{}\"", where, c.unit);
  if (fraction && c.unit == "points")
    fail(ErrorKind::format, "{}: key \"unit\": metric {} is a fraction; give the value in \"percent\" or \"fraction\"", where, c.metric);
  if (!fraction && c.unit != "points")
    fail(ErrorKind::format, "{}: key \"unit\": metric {} is measured in points, not a {}", where, c.metric, c.unit);
  const double hi = c.unit == "percent" ? 100 : c.unit == "fraction" ? 1 : 1e9;
  if (c.value < 0 || c.value > hi)
    fail(ErrorKind::format, "{}: key \"value\": {} is outside 0..{} for unit {}", where, c.value, hi, c.unit);
  return c;
}

int protocol_shots(const json& protocol, const json& settings, bool& known) {
  known = true;
  if (protocol.is_object() && protocol.contains("num_fewshot") && protocol["num_fewshot"].is_number_integer())
    return protocol["num_fewshot"].get<int>();
  if (settings.is_object() && settings.contains("num_fewshot") && settings["num_fewshot"].is_number_integer() &&
      settings["num_fewshot"].get<int>() >= 0)
    return settings["num_fewshot"].get<int>();
  known = false;
  return 0;
}

int64_t int_setting(const json& s, const char* key) {
  return s.is_object() && s.contains(key) && s[key].is_number_integer() ? s[key].get<int64_t>() : 0;
}

std::string str_setting(const json& s, const char* key) {
  return s.is_object() && s.contains(key) && s[key].is_string() ? s[key].get<std::string>() : "";
}

}  // namespace

// A recorded chat-template setting: absent, null, false or "" = off; true, a non-empty
// string (the template's name) or an object (unless its "enabled"/"apply" is false) = on.
bool chat_template_on(const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) return !v.get<std::string>().empty();
  if (v.is_object()) {
    for (const char* k : {"enabled", "apply"})
      if (v.contains(k) && v[k].is_boolean()) return v[k].get<bool>();
    return true;
  }
  return false;
}

double Claim::store_value() const { return unit == "percent" ? value / 100.0 : value; }

bool claim_metric_is_fraction(const std::string& metric) {
  const std::string m = lower(metric);
  for (const char* p : {"bleu", "chrf", "ter", "ppl", "perplexity", "kl"})
    if (starts_with(m, p)) return false;
  return true;
}

ClaimsFile claims_from_json(const json& j, const std::string& source_name) {
  if (!j.is_object()) fail(ErrorKind::format, "{}: expected a JSON object with \"model\" and \"claims\"", source_name);
  Fields f(j, source_name);
  f.only({"schema", "model", "model_sha256", "model_match", "source", "notes", "claims"});
  ClaimsFile out;
  out.path = source_name;
  const std::string schema = f.str("schema", false);
  if (j.contains("schema") && schema != "yardstick-claims")
    fail(ErrorKind::format, "{}: key \"schema\": expected \"yardstick-claims\", got \"{}\"", source_name, schema);
  out.model = f.str("model", true);
  out.model_sha256 = lower(f.str("model_sha256", false));
  if (!out.model_sha256.empty() &&
      (out.model_sha256.size() != 64 || out.model_sha256.find_first_not_of("0123456789abcdef") != std::string::npos))
    fail(ErrorKind::format, "{}: key \"model_sha256\": expected 64 hex digits", source_name);
  out.model_match = f.str("model_match", false);
  out.source = f.str("source", true);
  out.notes = f.str("notes", false);
  if (out.model.empty()) fail(ErrorKind::format, "{}: key \"model\" must not be empty", source_name);
  auto it = j.find("claims");
  if (it == j.end()) fail(ErrorKind::format, "{}: missing key \"claims\"", source_name);
  if (!it->is_array()) fail(ErrorKind::format, "{}: key \"claims\": expected an array, got {}", source_name, type_name(*it));
  for (size_t i = 0; i < it->size(); ++i)
    out.claims.push_back(claim_from_json((*it)[i], fmt::format("{}: claims[{}]", source_name, i)));
  return out;
}

bool model_name_matches(const std::string& key, const std::string& model_path) {
  std::string k = lower(key);
  const size_t slash = k.find_last_of('/');
  if (slash != std::string::npos) k = k.substr(slash + 1);
  const std::string name = lower(std::filesystem::path(model_path).filename().string());
  if (k.empty() || !starts_with(name, k)) return false;
  if (name.size() == k.size()) return true;
  const char next = name[k.size()];
  if (next == '.' || next == '_') return true;
  if (next != '-') return false;
  const std::string rest = name.substr(k.size() + 1);
  for (const char* p : {"q", "iq", "f", "bf", "gguf"})
    if (starts_with(rest, p) && rest.size() > std::string(p).size() &&
        (std::isdigit(static_cast<unsigned char>(rest[std::string(p).size()])) || std::string(p) == "gguf"))
      return true;
  return false;
}

RunProtocol run_protocol(const store::RunRecord& r, int64_t n) {
  RunProtocol p;
  const json protocol = json::parse(r.protocol_json, nullptr, false);
  const json settings = json::parse(r.settings_json, nullptr, false);
  bool known = false;
  const int shots = protocol_shots(protocol, settings, known);
  if (known) p.shots = shots;
  if (protocol.is_object() && protocol.contains("chat_template")) p.chat_template = chat_template_on(protocol["chat_template"]);
  else if (settings.is_object() && settings.contains("chat_template")) p.chat_template = chat_template_on(settings["chat_template"]);
  p.source = str_setting(settings, "source") == "lm-eval" ? "lm-eval" : "yardstick";
  std::vector<std::string> why;
  if (int64_t l = int_setting(settings, "limit"); l > 0)
    why.push_back(fmt::format("{}--limit {}", p.source == "lm-eval" ? "lm-eval " : "", l));
  if (int64_t l = int_setting(settings, "limit_per_subject"); l > 0) why.push_back(fmt::format("--limit-per-subject {}", l));
  if (std::string s = str_setting(settings, "shard"); !s.empty()) why.push_back("--shard " + s);
  if (settings.is_object() && settings.contains("subjects") &&
      ((settings["subjects"].is_array() && !settings["subjects"].empty()) ||
       (settings["subjects"].is_string() && !settings["subjects"].get<std::string>().empty())))
    why.push_back("--subjects");
  const int64_t original = int_setting(settings, "n_original");
  if (original > 0 && n < original) why.push_back(fmt::format("{} of {} documents", n, original));
  else if (!why.empty() && original > 0) why.push_back(fmt::format("{} documents", n));
  p.partial = !why.empty();
  for (size_t i = 0; i < why.size(); ++i) p.partial_note += (i ? ", " : "") + why[i];
  return p;
}

std::pair<double, double> wilson_interval(double p, int64_t n) {
  if (n <= 0) return {0, 1};
  const double z = 1.959963984540054, nn = static_cast<double>(n);
  const double denom = 1 + z * z / nn;
  const double centre = (p + z * z / (2 * nn)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom;
  return {std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

std::optional<double> ClaimResult::difference() const {
  if (!measured) return std::nullopt;
  return *measured - claimed;
}

int ClaimsReport::count(const std::string& verdict) const {
  int k = 0;
  for (const auto& r : results) k += r.verdict == verdict;
  return k;
}

ClaimResult evaluate_claim(const Claim& c, const RunData& run) {
  ClaimResult r;
  r.claim = c;
  r.claimed = c.store_value();
  r.fraction = claim_metric_is_fraction(c.metric);
  r.run_id = run.run.id;
  const store::MetricRecord* m = run.metric(c.metric);
  if (!m) {
    r.status = "error";
    r.reason = fmt::format("run {} has no metric {}", run.run.id.substr(0, 8), c.metric);
    return r;
  }
  r.status = "checked";
  r.measured = m->value;
  r.std_err = m->std_err;
  r.n = m->n;
  const RunProtocol p = run_protocol(run.run, m->n);
  r.run_source = p.source;
  r.partial = p.partial;
  r.partial_note = p.partial_note;
  // The per-sample scores of this metric ("key/subset" reads score "key" of that subset).
  std::string key = c.metric, prefix;
  if (!run.samples.empty() && !run.samples.front().scores.count(key)) {
    const size_t slash = key.find('/');
    if (slash != std::string::npos) prefix = key.substr(slash + 1) + "/", key = key.substr(0, slash);
  }
  bool binary = r.fraction && !run.samples.empty();
  int64_t seen = 0;
  for (const auto& s : run.samples) {
    if (!prefix.empty() && !starts_with(s.doc_id, prefix)) continue;
    auto it = s.scores.find(key);
    if (it == s.scores.end()) continue;
    ++seen;
    if (it->second != 0.0 && it->second != 1.0) binary = false;
  }
  if (binary && seen == m->n && m->n > 0) {
    std::tie(r.ci_lo, r.ci_hi) = wilson_interval(m->value, m->n);
    r.interval = "wilson";
  } else if (m->std_err && std::isfinite(*m->std_err)) {
    r.ci_lo = m->value - 1.959963984540054 * *m->std_err;
    r.ci_hi = m->value + 1.959963984540054 * *m->std_err;
    r.interval = "normal";
  }
  if (r.ci_lo && r.ci_hi) {
    if (r.claimed < *r.ci_lo) r.verdict = "above";
    else if (r.claimed > *r.ci_hi) r.verdict = "below";
    else r.verdict = "consistent";
  }
  return r;
}

std::optional<std::string> find_claim_run(store::Store& st, const ClaimsFile& f, const Claim& c,
                                          const ClaimsMatchOptions& o) {
  store::RunFilter filter;
  filter.suite = c.suite;
  filter.status = "done";
  const std::string sha = !o.model_sha256.empty() ? o.model_sha256 : f.model_sha256;
  const std::string name = f.model_match.empty() ? f.model : f.model_match;
  struct Candidate {
    std::string id;
    bool partial;
    int64_t n;
    size_t order;  // list_runs is newest first
  };
  std::vector<Candidate> found;
  const std::vector<store::RunRecord> runs = st.list_runs(filter);
  for (size_t i = 0; i < runs.size(); ++i) {
    const store::RunRecord& r = runs[i];
    if (!sha.empty() ? lower(r.model_sha256) != sha : !model_name_matches(name, r.model_path)) continue;
    std::optional<store::MetricRecord> metric;
    for (const auto& m : st.get_metrics(r.id))
      if (m.name == c.metric) metric = m;
    if (!metric) continue;
    const RunProtocol p = run_protocol(r, metric->n);
    if (!p.shots || *p.shots != c.shots || p.chat_template != c.chat_template) continue;
    found.push_back({r.id, p.partial, metric->n, i});
  }
  if (found.empty()) return std::nullopt;
  std::stable_sort(found.begin(), found.end(), [](const Candidate& a, const Candidate& b) {
    if (a.partial != b.partial) return !a.partial;
    if (a.n != b.n) return a.n > b.n;
    return a.order < b.order;
  });
  return found.front().id;
}

ClaimsReport check_claims(store::Store& st, const ClaimsFile& f, const ClaimsMatchOptions& o) {
  ClaimsReport rep;
  rep.file = f;
  rep.db_path = st.path();
  rep.model_sha256 = !o.model_sha256.empty() ? o.model_sha256 : f.model_sha256;
  for (const Claim& c : f.claims) {
    ClaimResult r;
    r.claim = c;
    r.claimed = c.store_value();
    r.fraction = claim_metric_is_fraction(c.metric);
    if (!c.not_checkable.empty()) {
      r.status = "not_checkable";
      r.reason = c.not_checkable;
    } else if (o.suite_known && !o.suite_known(c.suite)) {
      r.status = "not_checkable";
      r.reason = fmt::format("Yardstick has no suite \"{}\"", c.suite);
    } else if (auto id = find_claim_run(st, f, c, o)) {
      r = evaluate_claim(c, load_run(st, *id));
    } else {
      r.status = "no_run";
      r.reason = fmt::format("no finished {} run of {} with {} shots, chat template {} (use --run-missing)", c.suite,
                             rep.model_sha256.empty() ? f.model : "sha256 " + rep.model_sha256.substr(0, 12), c.shots,
                             c.chat_template ? "on" : "off");
    }
    rep.results.push_back(std::move(r));
  }
  return rep;
}

}  // namespace ys::reports
