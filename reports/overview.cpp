#include "reports/overview.h"

#include "reports/run_data.h"
#include "runner/store/sqlite.h"

#include <algorithm>
#include <map>
#include <set>

namespace ys::reports {
namespace {

std::vector<std::string> hardware_ids(const std::string& db_path) {
  store::Db db = store::Db::open(db_path, 30000);
  store::Stmt s = db.prepare("SELECT id FROM hardware ORDER BY created_at, id", "listing hardware");
  std::vector<std::string> ids;
  while (s.step()) ids.push_back(s.text(0));
  return ids;
}

}  // namespace

Overview load_overview(store::Store& st) {
  Overview o;
  o.db_path = st.path();
  for (const auto& id : hardware_ids(st.path()))
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
    if (r.suite == "humaneval") {
      for (const auto& smp : st.get_samples(r.id)) {
        nlohmann::json sc = nlohmann::json::parse(smp.scores_json, nullptr, false);
        bool pass = sc.is_object() && sc.contains("pass@1") && sc["pass@1"].is_number() && sc["pass@1"].get<double>() > 0;
        s.problems.emplace_back(smp.doc_id, pass);
      }
    }
    add_kernels(st.get_kernel_results(r.id));
    o.runs.push_back(std::move(s));
  }
  for (const auto& hw : o.hardware) add_kernels(st.get_kernel_results("", hw.id));
  return o;
}

}  // namespace ys::reports
