// `yardstick list`: the runs in a result database, newest first, with their headline metric.
#include "common/error.h"
#include "runner/cli.h"
#include "runner/store/store.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <filesystem>

namespace {

struct ListArgs {
  std::string db = ys::cli::default_db_path();
  ys::store::RunFilter filter;
  bool json = false;
};

std::string headline(const std::vector<ys::store::MetricRecord>& metrics) {
  for (const auto& m : metrics) {
    if (!m.headline) continue;
    return m.std_err ? fmt::format("{}={:.4f}±{:.4f}", m.name, m.value, *m.std_err)
                     : fmt::format("{}={:.4f}", m.name, m.value);
  }
  return "-";
}

nlohmann::json metric_json(const ys::store::MetricRecord& m) {
  nlohmann::json j = {{"name", m.name}, {"value", m.value}, {"n", m.n}, {"headline", m.headline}};
  j["stderr"] = m.std_err ? nlohmann::json(*m.std_err) : nlohmann::json(nullptr);
  return j;
}

int run_list(const ListArgs& a) {
  if (!std::filesystem::exists(a.db))
    ys::fail(ys::ErrorKind::io, "no result database at {} (pass --db or set YARDSTICK_DB; `yardstick run` creates it)",
             a.db);
  auto st = ys::store::Store::open(a.db);
  auto runs = st.list_runs(a.filter);
  if (a.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : runs) {
      nlohmann::json metrics = nlohmann::json::array();
      for (const auto& m : st.get_metrics(r.id))
        if (m.headline) metrics.push_back(metric_json(m));
      out.push_back({{"id", r.id}, {"created_at", r.created_at}, {"status", r.status}, {"kind", r.kind},
                     {"suite", r.suite}, {"model_path", r.model_path}, {"quant", r.quant}, {"tag", r.tag},
                     {"headline_metrics", metrics}});
    }
    fmt::print("{}\n", out.dump(2));
    return ys::cli::kExitOk;
  }
  if (runs.empty()) {
    fmt::print("no runs in {} match\n", a.db);
    return ys::cli::kExitOk;
  }
  fmt::print("{:<13} {:<19} {:<7} {:<10} {:<28} {:<7} {}\n", "id", "created (UTC)", "status", "suite", "model",
             "quant", "headline");
  for (const auto& r : runs) {
    std::string model = std::filesystem::path(r.model_path).filename().string();
    if (model.size() > 28) model = model.substr(0, 25) + "...";
    fmt::print("{:<13} {:<19} {:<7} {:<10} {:<28} {:<7} {}\n", r.id.substr(0, 13), r.created_at.substr(0, 19),
               r.status, r.suite, model, r.quant.empty() ? "-" : r.quant, headline(st.get_metrics(r.id)));
  }
  return ys::cli::kExitOk;
}

ys::cli::Registrar reg("list", "List the runs in the result database (newest first)",
                       [](CLI::App& app) -> ys::cli::RunFn {
                         auto a = std::make_shared<ListArgs>();
                         app.add_option("--db", a->db, "Result database (env YARDSTICK_DB)")->capture_default_str();
                         app.add_option("--suite", a->filter.suite, "Only this suite (mmlu, gsm8k, ...)");
                         app.add_option("--model", a->filter.model, "Only models whose path contains this");
                         app.add_option("--status", a->filter.status, "Only this status")
                             ->check(CLI::IsMember({"running", "done", "failed"}));
                         app.add_option("--kind", a->filter.kind, "Only this kind")
                             ->check(CLI::IsMember({"eval", "bench", "quant"}));
                         app.add_option("--tag", a->filter.tag, "Only runs with this tag");
                         app.add_option("--limit", a->filter.limit, "At most this many runs")
                             ->check(CLI::NonNegativeNumber);
                         app.add_flag("--json", a->json, "Print JSON");
                         return [a] { return run_list(*a); };
                       });

}  // namespace
