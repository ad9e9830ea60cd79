// The SQLite result store: runs, their samples and metrics, perf and kernel results, and
// the hardware they ran on. WAL mode with a busy timeout, so several processes can write
// one database; samples are appended in one transaction per call, so a killed run loses at
// most the batch in flight and resumes from finished_doc_ids().
//
//   auto st = ys::store::Store::open("results.db");
//   std::string id = st.create_run(run);
//   st.append_samples(id, batch);
//   st.set_metrics(id, metrics);
//   st.finish_run(id, "done", wall_s, tokens, "");
#pragma once

#include "runner/store/records.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ys::store {

class Store {
 public:
  // Opens or creates the database and applies pending migrations.
  static Store open(const std::filesystem::path& path, int busy_timeout_ms = 30000);
  Store(Store&&) noexcept;
  Store& operator=(Store&&) noexcept;
  ~Store();

  const std::string& path() const;
  int schema_version();

  // Runs. create_run fills id (when empty) and created_at; returns the id.
  std::string create_run(const RunRecord& run);
  void finish_run(const std::string& run_id, const std::string& status, std::optional<double> wall_s,
                  std::optional<int64_t> tokens, const std::string& error);
  std::optional<RunRecord> get_run(const std::string& run_id);
  // Newest first.
  std::vector<RunRecord> list_runs(const RunFilter& filter = {});
  // The full id of the one run whose id starts with prefix; ys::Error(invalid_input) when
  // none or several match.
  std::string resolve_run_id(const std::string& prefix);

  // Samples: one transaction per call; a doc_id already stored for the run is replaced.
  void append_samples(const std::string& run_id, const std::vector<SampleRecord>& samples);
  std::set<std::string> finished_doc_ids(const std::string& run_id);
  // In doc_id order.
  std::vector<SampleRecord> get_samples(const std::string& run_id);

  // Metrics: upserted by (run_id, name) in one transaction.
  void set_metrics(const std::string& run_id, const std::vector<MetricRecord>& metrics);
  // Headline metrics first, then by name.
  std::vector<MetricRecord> get_metrics(const std::string& run_id);

  // Hardware: inserted once per fingerprint; returns the id.
  std::string upsert_hardware(const HardwareRecord& hw);
  std::optional<HardwareRecord> get_hardware(const std::string& id);

  int64_t add_perf_result(const PerfRecord& rec);
  std::vector<PerfRecord> get_perf_results(const std::string& run_id);
  int64_t add_kernel_result(const KernelRecord& rec);
  // By run id, or (when run_id is empty) by hardware id.
  std::vector<KernelRecord> get_kernel_results(const std::string& run_id, const std::string& hardware_id = "");

  // A perf result that replaces any earlier one of the same run and name (cumulative
  // counters of a resumed run, such as its remote token and cost rows).
  void set_perf_result(const PerfRecord& rec);

  // Documents whose requests failed after their retries (remote models): stored with the
  // server's message; append_samples clears a document's failure. In doc_id order.
  void record_failures(const std::string& run_id, const std::vector<SampleFailure>& failures);
  std::vector<SampleFailure> get_failures(const std::string& run_id);

  // The remote client's response cache (table remote_cache): the body stored under `key`
  // when its endpoint, model, protocol and request match too.
  std::optional<std::string> cache_get(const std::string& key, const std::string& endpoint, const std::string& model,
                                       const std::string& protocol, const std::string& request_json);
  void cache_put(const std::string& key, const std::string& endpoint, const std::string& model,
                 const std::string& protocol, const std::string& request_json, const std::string& response_json);

  // PRAGMA integrity_check: "ok" when the file is sound.
  std::string integrity_check();

 private:
  struct Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A random UUID-v4-formatted id (lower-case hex).
std::string new_run_id();

}  // namespace ys::store
