// `yardstick merge A.db B.db ... -o all.db [--combine-shards --data-dir DIR]`: folds stores
// into one (rules in reports/merge.h); with --combine-shards the runs of `run --shard I/N`
// become one run whose metrics the suite recomputes from the union of the samples.
#include "common/error.h"
#include "reports/merge.h"
#include "runner/cli.h"
#include "runner/pipeline.h"
#include "runner/settings.h"
#include "suites/suite.h"

#include <fmt/core.h>

#include <filesystem>
#include <map>

namespace {

struct MergeArgs {
  std::vector<std::string> inputs;
  std::string out;
  std::string data_dir = ys::cli::default_data_dir();
  bool combine = false;
};

std::vector<ys::store::MetricRecord> aggregate(const std::string& data_dir, const ys::store::RunRecord& run,
                                               const std::vector<ys::store::SampleRecord>& records) {
  auto settings = ys::runner::settings_from_json(nlohmann::json::parse(run.settings_json), "run " + run.id);
  auto task = ys::suites::make_task(run.suite, [&] {
    settings.data_dir = data_dir;
    return ys::runner::task_options_for(settings, run.suite);
  }());
  if (task->protocol_version() != run.protocol_version)
    ys::fail(ys::ErrorKind::invalid_input, "--combine-shards: run {} has protocol {} but this yardstick's {} is {}", run.id,
             run.protocol_version, run.suite, task->protocol_version());
  std::map<std::string, const ys::store::SampleRecord*> by_id;
  for (const auto& r : records) by_id[r.doc_id] = &r;
  size_t n = settings.limit > 0 ? std::min(task->size(), static_cast<size_t>(settings.limit)) : task->size();
  std::vector<ys::suites::Sample> ordered;  // document order, as the pipeline aggregates
  for (size_t i = 0; i < n; ++i) {
    auto it = by_id.find(task->doc_id(i));
    if (it == by_id.end())
      ys::fail(ys::ErrorKind::invalid_input, "--combine-shards: no shard holds document {} of {}", task->doc_id(i), run.suite);
    ordered.push_back(ys::runner::sample_from_record(*it->second));
  }
  if (ordered.size() != records.size())
    ys::fail(ys::ErrorKind::invalid_input, "--combine-shards: the shards hold {} samples, the suite selects {}", records.size(), n);
  std::vector<ys::store::MetricRecord> out;
  for (const auto& m : task->aggregate(ordered)) {
    ys::store::MetricRecord r;
    r.name = m.name;
    r.value = m.value;
    if (m.stderr_ == m.stderr_) r.std_err = m.stderr_;
    r.n = m.n;
    r.headline = m.headline;
    out.push_back(r);
  }
  return out;
}

int run_merge(const MergeArgs& a) {
  for (const auto& in : a.inputs) {
    if (!std::filesystem::exists(in)) ys::fail(ys::ErrorKind::io, "merge: input store {} does not exist", in);
    if (std::filesystem::exists(a.out) && std::filesystem::equivalent(in, a.out))
      ys::fail(ys::ErrorKind::invalid_input, "merge: input {} is the output -o {}", in, a.out);
  }
  for (const auto& in : a.inputs) {
    ys::reports::MergeCounts c = ys::reports::merge_store(a.out, in);
    fmt::print("{}: +{} runs ({} now done), +{} samples, +{} metrics, +{} perf, +{} kernel results, +{} machines\n", in,
               c.runs, c.runs_updated, c.samples, c.metrics, c.perf, c.kernels, c.hardware);
  }
  if (!a.combine) return ys::cli::kExitOk;
  for (const auto& g : ys::reports::find_shard_groups(a.out)) {
    if (g.exists) {
      fmt::print("shards of {} already combined as run {}\n", g.shards.front().suite, g.combined_id);
      continue;
    }
    std::string id = ys::reports::combine_shards(a.out, g, [&](const auto& run, const auto& samples) {
      return aggregate(a.data_dir, run, samples);
    });
    fmt::print("combined {} shards of {} into run {}\n", g.shards.size(), g.shards.front().suite, id);
  }
  return ys::cli::kExitOk;
}

ys::cli::Registrar reg("merge", "Fold result stores (machines, shards) into one; --combine-shards folds `run --shard` runs",
                       [](CLI::App& app) -> ys::cli::RunFn {
                         auto a = std::make_shared<MergeArgs>();
                         app.add_option("INPUT", a->inputs, "Stores to fold in, in order")->required();
                         app.add_option("-o,--output", a->out, "The merged store (created or extended)")->required();
                         app.add_flag("--combine-shards", a->combine,
                                      "Also fold complete sets of shard runs (1/N..N/N) into one run, metrics recomputed");
                         app.add_option("--data-dir", a->data_dir, "Imported datasets, for --combine-shards (env YARDSTICK_DATA)")
                             ->capture_default_str();
                         return [a] { return run_merge(*a); };
                       });

}  // namespace
