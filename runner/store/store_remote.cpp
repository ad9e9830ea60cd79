// Store: what remote models add (migration 2): the response cache, failed documents, and
// perf results that replace earlier ones (cumulative counters of resumed runs).
#include "common/error.h"
#include "runner/store/store.h"
#include "runner/store/store_impl.h"

#include <fmt/format.h>

namespace ys::store {

void Store::set_perf_result(const PerfRecord& r) {
  Txn txn(impl_->db, "replacing perf result " + r.name + " of run " + r.run_id);
  impl_->db.prepare("DELETE FROM perf_results WHERE run_id = ? AND name = ?", "replacing perf result " + r.name)
      .bind(1, r.run_id)
      .bind(2, r.name)
      .run();
  add_perf_result(r);
  txn.commit();
}

void Store::record_failures(const std::string& run_id, const std::vector<SampleFailure>& failures) {
  if (failures.empty()) return;
  Txn txn(impl_->db, fmt::format("recording {} failed documents of run {}", failures.size(), run_id));
  Stmt s = impl_->db.prepare(
      "INSERT INTO sample_failures(run_id, doc_id, error) VALUES (?,?,?) ON CONFLICT(run_id, doc_id) DO UPDATE SET "
      "error = excluded.error, created_at = excluded.created_at",
      "recording failed documents of run " + run_id);
  for (const SampleFailure& f : failures) {
    s.bind(1, run_id).bind(2, f.doc_id).bind(3, f.error).run();
    s.reset();
  }
  txn.commit();
}

std::vector<SampleFailure> Store::get_failures(const std::string& run_id) {
  Stmt s = impl_->db.prepare("SELECT doc_id, error, created_at FROM sample_failures WHERE run_id = ? ORDER BY doc_id",
                             "reading failed documents of run " + run_id);
  s.bind(1, run_id);
  std::vector<SampleFailure> out;
  while (s.step()) out.push_back({s.text(0), s.text(1), s.text(2)});
  return out;
}

std::optional<std::string> Store::cache_get(const std::string& key, const std::string& endpoint,
                                            const std::string& model, const std::string& protocol,
                                            const std::string& request_json) {
  Stmt s = impl_->db.prepare(
      "SELECT response_json FROM remote_cache WHERE key = ? AND endpoint = ? AND model = ? AND protocol = ? AND "
      "request_json = ?",
      "reading the remote response cache");
  s.bind(1, key).bind(2, endpoint).bind(3, model).bind(4, protocol).bind(5, request_json);
  if (!s.step()) return std::nullopt;
  return s.text(0);
}

void Store::cache_put(const std::string& key, const std::string& endpoint, const std::string& model,
                      const std::string& protocol, const std::string& request_json, const std::string& response_json) {
  Stmt s = impl_->db.prepare(
      "INSERT INTO remote_cache(key, endpoint, model, protocol, request_json, response_json) VALUES (?,?,?,?,?,?) "
      "ON CONFLICT(key) DO UPDATE SET endpoint = excluded.endpoint, model = excluded.model, protocol = "
      "excluded.protocol, request_json = excluded.request_json, response_json = excluded.response_json, created_at = "
      "excluded.created_at",
      "writing the remote response cache");
  s.bind(1, key).bind(2, endpoint).bind(3, model).bind(4, protocol).bind(5, request_json).bind(6, response_json).run();
}

}  // namespace ys::store
