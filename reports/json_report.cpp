#include "reports/json_report.h"

namespace ys::reports {
namespace {

using nlohmann::json;

json opt(std::optional<double> v) { return v ? json(*v) : json(nullptr); }

json parsed(const std::string& s) {
  json j = json::parse(s, nullptr, false);
  return j.is_discarded() ? json(s) : j;
}

}  // namespace

json run_json(const store::RunRecord& r, const std::string& cpu_model) {
  return {{"id", r.id},
          {"created_at", r.created_at},
          {"status", r.status},
          {"kind", r.kind},
          {"suite", r.suite},
          {"model", run_attribute(r, cpu_model, "model")},
          {"model_path", r.model_path},
          {"model_sha256", r.model_sha256},
          {"quant", r.quant},
          {"threads", run_attribute(r, cpu_model, "threads")},
          {"device", run_attribute(r, cpu_model, "device")},
          {"tag", r.tag},
          {"hardware_id", r.hardware_id},
          {"cpu_model", cpu_model},
          {"protocol_version", r.protocol_version},
          {"code_version", r.code_version},
          {"seed", r.seed},
          {"wall_s", opt(r.wall_s)},
          {"tokens", r.tokens ? json(*r.tokens) : json(nullptr)},
          {"settings", parsed(r.settings_json)}};
}

json metric_json(const store::MetricRecord& m) {
  return {{"name", m.name}, {"value", m.value}, {"stderr", opt(m.std_err)}, {"n", m.n}, {"headline", m.headline}};
}

json perf_json(const store::PerfRecord& p) {
  return {{"name", p.name},          {"value", p.value},        {"unit", p.unit},
          {"repetitions", p.repetitions}, {"median", opt(p.median)}, {"stddev", opt(p.stddev)}};
}

}  // namespace ys::reports

#include "reports/baseline.h"

#include <cstdio>

namespace ys::reports {

std::string json_text(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void emit(const std::string& text, const std::string& path) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return;
  }
  write_text_file(path, text);
}

}  // namespace ys::reports
