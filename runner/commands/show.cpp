// `yardstick show RUN_ID`: one run's provenance, metrics, timings and (optionally) samples.
#include "common/error.h"
#include "runner/cli.h"
#include "runner/store/store.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace {

using nlohmann::json;
using namespace ys::store;

struct ShowArgs {
  std::string db = ys::cli::default_db_path();
  std::string id;
  bool samples = false;
  bool json = false;
};

// Stored JSON text as a value; text that does not parse is kept as a string.
json as_json(const std::string& s) {
  json j = json::parse(s, nullptr, false);
  return j.is_discarded() ? json(s) : j;
}

std::string one_line(std::string s, size_t max) {
  for (char& c : s)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return s.size() > max ? s.substr(0, max - 3) + "..." : s;
}

json run_json(const RunRecord& r) {
  return {{"id", r.id},
          {"created_at", r.created_at},
          {"finished_at", r.finished_at},
          {"status", r.status},
          {"kind", r.kind},
          {"suite", r.suite},
          {"model_path", r.model_path},
          {"model_sha256", r.model_sha256},
          {"quant", r.quant},
          {"settings", as_json(r.settings_json)},
          {"datasets", as_json(r.dataset_json)},
          {"protocol", as_json(r.protocol_json)},
          {"protocol_version", r.protocol_version},
          {"code_version", r.code_version},
          {"seed", r.seed},
          {"hardware_id", r.hardware_id},
          {"tag", r.tag},
          {"wall_s", r.wall_s ? json(*r.wall_s) : json(nullptr)},
          {"tokens", r.tokens ? json(*r.tokens) : json(nullptr)},
          {"error", r.error}};
}

json full_json(Store& st, const RunRecord& r, bool with_samples) {
  json j = run_json(r);
  j["metrics"] = json::array();
  for (const auto& m : st.get_metrics(r.id))
    j["metrics"].push_back({{"name", m.name}, {"value", m.value}, {"n", m.n}, {"headline", m.headline},
                            {"stderr", m.std_err ? json(*m.std_err) : json(nullptr)}});
  if (auto hw = st.get_hardware(r.hardware_id)) j["hardware"] = as_json(hw->fingerprint_json);
  j["perf"] = json::array();
  for (const auto& p : st.get_perf_results(r.id))
    j["perf"].push_back({{"name", p.name}, {"value", p.value}, {"unit", p.unit}, {"repetitions", p.repetitions},
                         {"median", p.median ? json(*p.median) : json(nullptr)},
                         {"stddev", p.stddev ? json(*p.stddev) : json(nullptr)}});
  if (with_samples) {
    j["samples"] = json::array();
    for (const auto& s : st.get_samples(r.id))
      j["samples"].push_back({{"doc_id", s.doc_id}, {"prompt_hash", s.prompt_hash}, {"request", as_json(s.request_json)},
                              {"output", as_json(s.output_json)}, {"target", s.target},
                              {"scores", as_json(s.scores_json)}, {"extra", as_json(s.extra_json)}});
  }
  return j;
}

void print_provenance(Store& st, const RunRecord& r) {
  fmt::print("run        {}\nstatus     {} ({})\nsuite      {}\n", r.id, r.status, r.kind, r.suite);
  fmt::print("created    {}\nfinished   {}\n", r.created_at, r.finished_at.empty() ? "-" : r.finished_at);
  fmt::print("model      {}\n  sha256   {}\n  quant    {}\n", r.model_path, r.model_sha256.empty() ? "-" : r.model_sha256,
             r.quant.empty() ? "-" : r.quant);
  fmt::print("code       {}\nprotocol   {} {}\nseed       {}\n", r.code_version, r.protocol_version,
             one_line(r.protocol_json, 100), r.seed);
  if (!r.tag.empty()) fmt::print("tag        {}\n", r.tag);
  fmt::print("settings   {}\n", one_line(r.settings_json, 200));
  if (auto hw = st.get_hardware(r.hardware_id)) {
    fmt::print("hardware   {} ({} threads, {:.1f} GiB)\n", hw->cpu_model, hw->cores,
               static_cast<double>(hw->memory_bytes) / (1u << 30));
    if (hw->gpu_json != "[]") fmt::print("  gpus     {}\n", one_line(hw->gpu_json, 200));
  }
  json ds = as_json(r.dataset_json);
  if (ds.is_object() && !ds.empty()) {
    fmt::print("datasets   {} files\n", ds.size());
    size_t shown = 0;
    for (auto it = ds.begin(); it != ds.end() && shown < 5; ++it, ++shown)
      fmt::print("  {} {}\n", it.value().is_string() ? it.value().get<std::string>().substr(0, 12) : "?", it.key());
    if (ds.size() > 5) fmt::print("  ... ({} more; --json lists all)\n", ds.size() - 5);
  }
  if (!r.error.empty()) fmt::print("error      {}\n", r.error);
}

void print_results(Store& st, const RunRecord& r) {
  auto metrics = st.get_metrics(r.id);
  if (!metrics.empty()) {
    fmt::print("\n{:<32} {:>10} {:>10} {:>8}\n", "metric", "value", "± stderr", "n");
    for (const auto& m : metrics)
      fmt::print("{:<32} {:>10.4f} {:>10} {:>8}{}\n", m.name, m.value, m.std_err ? fmt::format("{:.4f}", *m.std_err) : "-",
                 m.n, m.headline ? "  *" : "");
  }
  for (const auto& p : st.get_perf_results(r.id))
    fmt::print("perf {:<27} {:>10.3f} {:<8} (x{}, median {}, stddev {})\n", p.name, p.value, p.unit, p.repetitions,
               p.median ? fmt::format("{:.3f}", *p.median) : "-", p.stddev ? fmt::format("{:.3f}", *p.stddev) : "-");
  fmt::print("\nwall time  {}\ntokens     {}\n", r.wall_s ? fmt::format("{:.1f} s", *r.wall_s) : "-",
             r.tokens ? std::to_string(*r.tokens) : "-");
  if (r.wall_s && r.tokens && *r.wall_s > 0)
    fmt::print("tokens/s   {:.1f}\n", static_cast<double>(*r.tokens) / *r.wall_s);
}

int run_show(const ShowArgs& a) {
  if (!std::filesystem::exists(a.db))
    ys::fail(ys::ErrorKind::io, "no result database at {} (pass --db or set YARDSTICK_DB)", a.db);
  auto st = Store::open(a.db);
  auto run = st.get_run(st.resolve_run_id(a.id));
  if (!run) ys::fail(ys::ErrorKind::internal, "run {} vanished from {}", a.id, a.db);
  if (a.json) {
    fmt::print("{}\n", full_json(st, *run, a.samples).dump(2));
    return ys::cli::kExitOk;
  }
  print_provenance(st, *run);
  print_results(st, *run);
  if (a.samples) {
    auto samples = st.get_samples(run->id);
    fmt::print("\nsamples ({})\n{:<24} {:<12} {:<40} {}\n", samples.size(), "doc", "target", "output", "scores");
    for (const auto& s : samples)
      fmt::print("{:<24} {:<12} {:<40} {}\n", one_line(s.doc_id, 24), one_line(s.target, 12), one_line(s.output_json, 40),
                 one_line(s.scores_json, 60));
  }
  return ys::cli::kExitOk;
}

ys::cli::Registrar reg("show", "Show one run: provenance, metrics with stderr, timings; --samples for per-document records",
                       [](CLI::App& app) -> ys::cli::RunFn {
                         auto a = std::make_shared<ShowArgs>();
                         app.add_option("RUN_ID", a->id, "Run id or a unique prefix of one")->required();
                         app.add_option("--db", a->db, "Result database (env YARDSTICK_DB)")->capture_default_str();
                         app.add_flag("--samples", a->samples, "Also print every sample record");
                         app.add_flag("--json", a->json, "Print JSON");
                         return [a] { return run_show(*a); };
                       });

}  // namespace
