#include "reports/baseline.h"

#include "common/error.h"

#include <fstream>
#include <sstream>

namespace ys::reports {
namespace {

using nlohmann::json;

json opt(std::optional<double> v) { return v ? json(*v) : json(nullptr); }

json parse_or_string(const std::string& s) {
  json j = json::parse(s, nullptr, false);
  return j.is_discarded() ? json(s) : j;
}

struct Reader {
  const std::string& source;
  const json& at(const json& obj, const std::string& key, const std::string& where) const {
    if (!obj.is_object() || !obj.contains(key)) fail(ErrorKind::format, "{}: {} has no \"{}\"", source, where, key);
    return obj[key];
  }
  std::string str(const json& obj, const std::string& key, const std::string& where) const {
    const json& v = at(obj, key, where);
    if (!v.is_string()) fail(ErrorKind::format, "{}: {}.{} should be a string", source, where, key);
    return v.get<std::string>();
  }
  double number(const json& v, const std::string& what) const {
    if (!v.is_number()) fail(ErrorKind::format, "{}: {} should be a number", source, what);
    return v.get<double>();
  }
  std::optional<double> opt_number(const json& obj, const std::string& key, const std::string& where) const {
    if (!obj.contains(key) || obj[key].is_null()) return std::nullopt;
    return number(obj[key], where + "." + key);
  }
};

store::RunRecord run_from_json(const Reader& rd, const json& r) {
  store::RunRecord run;
  run.id = rd.str(r, "id", "run");
  run.created_at = r.value("created_at", "");
  run.status = r.value("status", "done");
  run.kind = r.value("kind", "eval");
  run.suite = rd.str(r, "suite", "run");
  run.model_path = r.value("model_path", "");
  run.model_sha256 = r.value("model_sha256", "");
  run.quant = r.value("quant", "");
  run.settings_json = r.contains("settings") ? r["settings"].dump() : "{}";
  run.dataset_json = r.contains("datasets") ? r["datasets"].dump() : "{}";
  run.protocol_json = r.contains("protocol") ? r["protocol"].dump() : "{}";
  run.protocol_version = rd.str(r, "protocol_version", "run");
  run.code_version = r.value("code_version", "");
  run.tag = r.value("tag", "");
  run.wall_s = rd.opt_number(r, "wall_s", "run");
  if (auto t = rd.opt_number(r, "tokens", "run")) run.tokens = static_cast<int64_t>(*t);
  return run;
}

}  // namespace

json baseline_json(const RunData& d) {
  const auto& r = d.run;
  json run = {{"id", r.id},
              {"created_at", r.created_at},
              {"status", r.status},
              {"kind", r.kind},
              {"suite", r.suite},
              {"model_path", r.model_path},
              {"model_sha256", r.model_sha256},
              {"quant", r.quant},
              {"settings", parse_or_string(r.settings_json)},
              {"datasets", parse_or_string(r.dataset_json)},
              {"protocol", parse_or_string(r.protocol_json)},
              {"protocol_version", r.protocol_version},
              {"code_version", r.code_version},
              {"seed", r.seed},
              {"tag", r.tag},
              {"wall_s", opt(r.wall_s)},
              {"tokens", r.tokens ? json(*r.tokens) : json(nullptr)},
              {"hardware", nullptr}};
  if (d.hardware)
    run["hardware"] = {{"id", d.hardware->id}, {"cpu_model", d.hardware->cpu_model}, {"cores", d.hardware->cores},
                       {"memory_bytes", d.hardware->memory_bytes}};
  json metrics = json::array();
  for (const auto& m : d.metrics)
    metrics.push_back({{"name", m.name}, {"value", m.value}, {"stderr", opt(m.std_err)}, {"n", m.n}, {"headline", m.headline}});
  json perf = json::array();
  for (const auto& p : d.perf)
    perf.push_back({{"name", p.name}, {"value", p.value}, {"unit", p.unit}, {"repetitions", p.repetitions},
                    {"median", opt(p.median)}, {"stddev", opt(p.stddev)}});
  json samples = json::object();
  for (const auto& s : d.samples) {
    json e = {{"scores", s.scores}, {"prompt_hash", s.prompt_hash}};
    for (auto it = s.corpus_stats.begin(); it != s.corpus_stats.end(); ++it) e[it.key()] = it.value();
    if (!s.category.empty()) e["category"] = s.category;
    samples[s.doc_id] = e;
  }
  return {{"schema", "yardstick-baseline"}, {"schema_version", kBaselineSchemaVersion}, {"run", run},
          {"metrics", metrics}, {"perf", perf}, {"samples", samples}};
}

RunData baseline_from_json(const json& j, const std::string& source) {
  Reader rd{source};
  if (!j.is_object() || j.value("schema", "") != "yardstick-baseline")
    fail(ErrorKind::format, "{}: not a yardstick baseline file (expected \"schema\": \"yardstick-baseline\")", source);
  const json& ver = rd.at(j, "schema_version", "the file");
  if (!ver.is_number_integer() || ver.get<int>() != kBaselineSchemaVersion)
    fail(ErrorKind::unsupported, "{}: schema_version {} (this yardstick reads {})", source, ver.dump(), kBaselineSchemaVersion);
  RunData d;
  d.source = source;
  d.run = run_from_json(rd, rd.at(j, "run", "the file"));
  const json& metrics = rd.at(j, "metrics", "the file");
  if (!metrics.is_array()) fail(ErrorKind::format, "{}: metrics should be an array", source);
  for (const auto& m : metrics) {
    store::MetricRecord r;
    r.name = rd.str(m, "name", "metrics[]");
    r.value = rd.number(rd.at(m, "value", "metric " + r.name), "metric " + r.name + ".value");
    r.std_err = rd.opt_number(m, "stderr", "metric " + r.name);
    r.n = static_cast<int64_t>(rd.opt_number(m, "n", "metric " + r.name).value_or(0));
    r.headline = m.value("headline", false);
    d.metrics.push_back(r);
  }
  if (j.contains("perf") && j["perf"].is_array())
    for (const auto& p : j["perf"]) {
      store::PerfRecord r;
      r.name = rd.str(p, "name", "perf[]");
      r.value = rd.number(rd.at(p, "value", "perf " + r.name), "perf " + r.name + ".value");
      r.unit = p.value("unit", "");
      r.repetitions = static_cast<int64_t>(rd.opt_number(p, "repetitions", "perf " + r.name).value_or(1));
      r.median = rd.opt_number(p, "median", "perf " + r.name);
      r.stddev = rd.opt_number(p, "stddev", "perf " + r.name);
      d.perf.push_back(r);
    }
  const json& samples = rd.at(j, "samples", "the file");
  if (!samples.is_object()) fail(ErrorKind::format, "{}: samples should be an object doc_id -> record", source);
  for (auto it = samples.begin(); it != samples.end(); ++it) {
    SampleView v;
    v.doc_id = it.key();
    const json& sc = rd.at(it.value(), "scores", "sample " + v.doc_id);
    if (!sc.is_object()) fail(ErrorKind::format, "{}: sample {}.scores should be an object", source, v.doc_id);
    for (auto s = sc.begin(); s != sc.end(); ++s) v.scores[s.key()] = rd.number(s.value(), "sample " + v.doc_id + " score " + s.key());
    v.prompt_hash = it.value().value("prompt_hash", "");
    if (it.value().contains("category") && it.value()["category"].is_string())
      v.category = it.value()["category"].get<std::string>();
    for (const char* key : {"bleu_stats", "chrf_stats"})
      if (it.value().contains(key) && it.value()[key].is_array()) v.corpus_stats[key] = it.value()[key];
    d.samples.push_back(std::move(v));
  }
  return d;
}

RunData read_baseline_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::io, "cannot open baseline file {}", path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) fail(ErrorKind::format, "{}: not valid JSON", path.string());
  return baseline_from_json(j, path.string());
}

void write_text_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(ErrorKind::io, "cannot write {}", path.string());
  out << text;
  if (!out) fail(ErrorKind::io, "error writing {}", path.string());
}

}  // namespace ys::reports
