#include "reports/lmeval_format.h"

#include "common/error.h"
#include "reports/drift.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace ys::reports::lmeval {
namespace {

using nlohmann::json;

// A number that lm-eval may have written as a JSON number or as its Python str().
std::optional<double> as_number(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_boolean()) return v.get<bool>() ? 1.0 : 0.0;
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "True") return 1.0;
    if (s == "False") return 0.0;
    char* end = nullptr;
    const double d = std::strtod(s.c_str(), &end);
    if (!s.empty() && end == s.c_str() + s.size()) return d;
  }
  return std::nullopt;
}

std::optional<bool> as_bool(const json& v) {
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string() && (v == "True" || v == "False")) return v == "True";
  if (v.is_number_integer() && (v == 0 || v == 1)) return v == 1;
  return std::nullopt;
}

// "gen_args_12" -> 12; -1 when the key has another form.
int64_t gen_args_index(const std::string& key) {
  const std::string p = "gen_args_";
  if (key.rfind(p, 0) != 0 || key.size() == p.size() || key.size() > p.size() + 9) return -1;
  int64_t n = 0;
  for (size_t i = p.size(); i < key.size(); ++i) {
    if (key[i] < '0' || key[i] > '9') return -1;
    n = n * 10 + (key[i] - '0');
  }
  return n;
}

std::vector<std::pair<std::string, json>> parse_arguments(const json& a, const std::string& where) {
  std::vector<std::pair<std::string, json>> out;
  auto one = [&](const json& ctx, const json& second, const std::string& at) {
    if (!ctx.is_string()) fail(ErrorKind::format, "{}: key \"arguments\" {}: expected the context as a string", where, at);
    out.emplace_back(ctx.get<std::string>(), second);
  };
  if (a.is_object()) {  // lm-eval >= 0.4.3: {"gen_args_0": {"arg_0": ctx, "arg_1": ...}, ...}
    std::vector<std::pair<int64_t, const json*>> byi;
    for (auto it = a.begin(); it != a.end(); ++it) {
      const int64_t i = gen_args_index(it.key());
      if (i < 0 || !it->is_object() || !it->contains("arg_0"))
        fail(ErrorKind::format, "{}: key \"arguments\": expected gen_args_N objects with arg_0, got \"{}\"", where, it.key());
      byi.emplace_back(i, &*it);
    }
    std::sort(byi.begin(), byi.end());
    for (size_t k = 0; k < byi.size(); ++k) {
      if (byi[k].first != static_cast<int64_t>(k)) fail(ErrorKind::format, "{}: key \"arguments\": gen_args_{} missing", where, k);
      const json& g = *byi[k].second;
      one(g["arg_0"], g.contains("arg_1") ? g["arg_1"] : json(nullptr), fmt::format("gen_args_{}", k));
    }
  } else if (a.is_array()) {  // older: [[ctx, continuation_or_gen_kwargs], ...]
    for (size_t k = 0; k < a.size(); ++k) {
      if (!a[k].is_array() || a[k].empty()) fail(ErrorKind::format, "{}: key \"arguments\"[{}]: expected an array", where, k);
      one(a[k][0], a[k].size() > 1 ? a[k][1] : json(nullptr), fmt::format("[{}]", k));
    }
  } else {
    fail(ErrorKind::format, "{}: key \"arguments\": expected an object or an array, got {}", where, a.type_name());
  }
  return out;
}

std::string hash_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

std::string opt_string(const json& obj, const std::string& key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

json opt_object(const json& obj, const std::string& key) {
  if (!obj.is_object()) return json::object();
  auto it = obj.find(key);
  return it != obj.end() && it->is_object() ? *it : json::object();
}

SampleLine parse_sample_line(const std::string& line, const std::string& task, const std::string& where) {
  if (!json_depth_within(line, kMaxJsonDepth)) fail(ErrorKind::format, "{}: JSON nested too deeply", where);
  json j;
  try {
    j = json::parse(line);
  } catch (const json::exception& e) {
    fail(ErrorKind::format, "{}: not valid JSON: {}", where, e.what());
  }
  if (!j.is_object()) fail(ErrorKind::format, "{}: expected a JSON object per line", where);
  SampleLine s;
  s.where = where;
  s.task = task;
  for (const char* key : {"doc_id", "arguments", "resps", "filtered_resps"})
    if (!j.contains(key)) fail(ErrorKind::format, "{}: missing key \"{}\"", where, key);
  if (!j["doc_id"].is_number_integer() || j["doc_id"].get<int64_t>() < 0)
    fail(ErrorKind::format, "{}: key \"doc_id\": expected a non-negative integer", where);
  s.doc_id = j["doc_id"].get<int64_t>();
  s.args = parse_arguments(j["arguments"], where);
  s.resps = j["resps"];
  s.filtered_resps = j["filtered_resps"];
  s.target = j.contains("target") ? j["target"] : json("");
  if (j.contains("filter")) {
    if (!j["filter"].is_string()) fail(ErrorKind::format, "{}: key \"filter\": expected a string", where);
    s.filter = j["filter"].get<std::string>();
  }
  if (j.contains("metrics")) {
    if (!j["metrics"].is_array()) fail(ErrorKind::format, "{}: key \"metrics\": expected an array of names", where);
    for (const json& m : j["metrics"]) {
      if (!m.is_string()) fail(ErrorKind::format, "{}: key \"metrics\": expected names (strings)", where);
      const std::string name = m.get<std::string>();
      if (!j.contains(name)) fail(ErrorKind::format, "{}: metric \"{}\" listed but has no value", where, name);
      auto v = as_number(j[name]);
      if (!v || !std::isfinite(*v)) continue;  // e.g. a per-sample tuple for a corpus metric (bleu)
      s.metrics.emplace_back(name, *v);
    }
  }
  s.doc_hash = hash_field(j, "doc_hash");
  s.prompt_hash = hash_field(j, "prompt_hash");
  s.target_hash = hash_field(j, "target_hash");
  return s;
}

std::pair<double, bool> loglikelihood_pair(const json& filtered_resps, size_t k, const std::string& where) {
  if (!filtered_resps.is_array() || k >= filtered_resps.size())
    fail(ErrorKind::format, "{}: key \"filtered_resps\": expected a response per request (request {})", where, k);
  const json& r = filtered_resps[k];
  if (!r.is_array() || r.size() != 2)
    fail(ErrorKind::format, "{}: key \"filtered_resps\"[{}]: expected [loglikelihood, is_greedy]", where, k);
  auto ll = as_number(r[0]);
  auto g = as_bool(r[1]);
  if (!ll || !g) fail(ErrorKind::format, "{}: key \"filtered_resps\"[{}]: expected [number, boolean], got {}", where, k, r.dump());
  return {*ll, *g};
}

std::string generated_text(const json& resps, const std::string& where) {
  if (resps.is_array() && !resps.empty() && resps[0].is_array() && !resps[0].empty() && resps[0][0].is_string())
    return resps[0][0].get<std::string>();
  fail(ErrorKind::format, "{}: key \"resps\": expected [[generated text]]", where);
}

std::string filtered_text(const json& filtered_resps, const std::string& where) {
  if (filtered_resps.is_string()) return filtered_resps.get<std::string>();
  if (filtered_resps.is_array() && !filtered_resps.empty() && filtered_resps[0].is_string())
    return filtered_resps[0].get<std::string>();
  fail(ErrorKind::format, "{}: key \"filtered_resps\": expected [filtered text]", where);
}

void group_leaves(const json& results, const std::string& group, std::set<std::string>& out, int depth) {
  const json subs = opt_object(results, "group_subtasks");
  if (depth > 8 || !subs.contains(group) || !subs[group].is_array()) return;
  for (const json& t : subs[group]) {
    if (!t.is_string()) continue;
    const std::string name = t.get<std::string>();
    if (subs.contains(name) && subs[name].is_array() && !subs[name].empty()) group_leaves(results, name, out, depth + 1);
    else out.insert(name);
  }
}

std::string model_path(const json& config, const json& results) {
  std::string pretrained, gguf;
  const json args = config.is_object() && config.contains("model_args") ? config["model_args"] : json(nullptr);
  if (args.is_object()) {
    pretrained = opt_string(args, "pretrained");
    gguf = opt_string(args, "gguf_file");
  } else if (args.is_string()) {  // "pretrained=X,gguf_file=Y,dtype=float32"
    const std::string a = args.get<std::string>();
    size_t pos = 0;
    while (pos <= a.size()) {
      const size_t comma = std::min(a.find(',', pos), a.size());
      const std::string kv = a.substr(pos, comma - pos);
      const size_t eq = kv.find('=');
      if (eq != std::string::npos) {
        if (kv.substr(0, eq) == "pretrained") pretrained = kv.substr(eq + 1);
        if (kv.substr(0, eq) == "gguf_file") gguf = kv.substr(eq + 1);
      }
      pos = comma + 1;
    }
  }
  if (!pretrained.empty()) return gguf.empty() ? pretrained : pretrained + "/" + gguf;
  const std::string name = opt_string(results, "model_name");
  return name.empty() ? "lm-eval" : name;
}

}  // namespace ys::reports::lmeval
