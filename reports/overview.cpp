#include "reports/overview.h"

#include "reports/compare.h"
#include "reports/run_data.h"
#include "runner/store/sqlite.h"

#include <algorithm>
#include <map>
#include <set>

namespace ys::reports {
namespace {

std::vector<std::string> hardware_ids(store::Db& db) {
  store::Stmt s = db.prepare("SELECT id FROM hardware ORDER BY created_at, id", "listing hardware");
  std::vector<std::string> ids;
  while (s.step()) ids.push_back(s.text(0));
  return ids;
}

// Doc ids, scores and categories of a run's samples, without the (large) prompts and outputs.
std::vector<SampleView> light_samples(store::Db& db, const std::string& run_id) {
  store::Stmt s = db.prepare("SELECT doc_id, scores_json, extra_json FROM samples WHERE run_id = ? ORDER BY doc_id",
                             "reading the scores of run " + run_id);
  s.bind(1, run_id);
  std::vector<SampleView> out;
  while (s.step()) {
    SampleView v;
    v.doc_id = s.text(0);
    nlohmann::json sc = nlohmann::json::parse(s.text(1), nullptr, false);
    if (sc.is_object())
      for (auto it = sc.begin(); it != sc.end(); ++it)
        if (it->is_number()) v.scores[it.key()] = it->get<double>();
    nlohmann::json ex = nlohmann::json::parse(s.text(2), nullptr, false);
    if (ex.is_object() && ex.contains("category") && ex["category"].is_string()) v.category = ex["category"].get<std::string>();
    out.push_back(std::move(v));
  }
  return out;
}

void sort_metrics(RunSummary& s, const SampleGroups& g) {
  std::vector<std::pair<store::MetricRecord, MetricGroup>> ms;
  for (auto& m : s.metrics) ms.emplace_back(m, metric_group(m.name, m.headline, g));
  std::stable_sort(ms.begin(), ms.end(), [](const auto& a, const auto& b) {
    return metric_order_less(a.first.name, a.second, b.first.name, b.second);
  });
  s.metrics.clear();
  s.groups.clear();
  for (auto& [m, grp] : ms) s.metrics.push_back(m), s.groups.push_back(grp);
}

std::optional<Interval> headline_interval(const RunSummary& s, const std::vector<SampleView>& samples) {
  if (!s.headline) return std::nullopt;
  std::vector<double> xs;
  for (const auto& v : samples) {
    auto it = v.scores.find(s.headline->name);
    if (it == v.scores.end()) {
      xs.clear();
      break;
    }
    xs.push_back(it->second);
  }
  const double x = s.headline->value;
  return metric_interval(*s.headline, xs, is_fraction_metric(s.headline->name, x, x));
}

}  // namespace

Overview load_overview(store::Store& st, const DatasetSizeFn& full_size) {
  Overview o;
  o.db_path = st.path();
  store::Db db = store::Db::open(st.path(), 30000);
  for (const auto& id : hardware_ids(db))
    if (auto hw = st.get_hardware(id)) o.hardware.push_back(*hw);
  std::map<std::string, std::string> cpu;
  for (const auto& hw : o.hardware) cpu[hw.id] = hw.cpu_model;
  std::vector<store::RunRecord> runs = st.list_runs();
  std::reverse(runs.begin(), runs.end());
  std::set<int64_t> kernel_ids;
  auto add_kernels = [&](const std::vector<store::KernelRecord>& ks) {
    for (const auto& k : ks)
      if (kernel_ids.insert(k.id).second) o.kernels.push_back(k);
  };
  for (const auto& r : runs) {
    RunSummary s;
    s.run = r;
    s.cpu_model = cpu.count(r.hardware_id) ? cpu[r.hardware_id] : "";
    s.model = run_attribute(r, s.cpu_model, "model");
    s.threads = run_attribute(r, s.cpu_model, "threads");
    s.metrics = st.get_metrics(r.id);
    for (const auto& m : s.metrics)
      if (m.headline && !s.headline) s.headline = m;
    if (r.tokens && r.wall_s && *r.wall_s > 0) s.tokens_per_s = static_cast<double>(*r.tokens) / *r.wall_s;
    s.perf = st.get_perf_results(r.id);
    const std::vector<SampleView> samples = light_samples(db, r.id);
    s.docs = static_cast<int64_t>(samples.size());
    sort_metrics(s, sample_groups(samples));
    s.headline_ci = headline_interval(s, samples);
    if (full_size && r.kind == "eval") s.full_docs = full_size(r);
    if (r.suite == "humaneval") {
      for (const auto& smp : samples) {
        auto it = smp.scores.find("pass@1");
        s.problems.emplace_back(smp.doc_id, it != smp.scores.end() && it->second > 0);
      }
    }
    add_kernels(st.get_kernel_results(r.id));
    o.runs.push_back(std::move(s));
  }
  for (const auto& hw : o.hardware) add_kernels(st.get_kernel_results("", hw.id));
  return o;
}

}  // namespace ys::reports
