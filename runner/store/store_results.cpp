// Store: hardware fingerprints, perf results and kernel results.
#include "common/error.h"
#include "common/hash.h"
#include "runner/store/store.h"
#include "runner/store/store_impl.h"

namespace ys::store {

std::string Store::upsert_hardware(const HardwareRecord& hw) {
  if (hw.fingerprint_json.empty())
    fail(ErrorKind::invalid_input, "hardware record without a fingerprint (expected canonical JSON)");
  std::string id = hw.id.empty() ? sha256_hex(hw.fingerprint_json) : hw.id;
  Stmt s = impl_->db.prepare(
      "INSERT INTO hardware(id, fingerprint_json, cpu_model, cores, memory_bytes, gpu_json) VALUES (?,?,?,?,?,?) "
      "ON CONFLICT(id) DO NOTHING",
      "recording the hardware fingerprint");
  s.bind(1, id).bind(2, hw.fingerprint_json).bind(3, hw.cpu_model).bind(4, hw.cores).bind(5, hw.memory_bytes);
  s.bind(6, hw.gpu_json).run();
  return id;
}

std::optional<HardwareRecord> Store::get_hardware(const std::string& id) {
  Stmt s = impl_->db.prepare(
      "SELECT id, fingerprint_json, cpu_model, cores, memory_bytes, gpu_json, created_at FROM hardware WHERE id = ?",
      "reading hardware " + id);
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return HardwareRecord{s.text(0), s.text(1), s.text(2), s.i64(3), s.i64(4), s.text(5), s.text(6)};
}

int64_t Store::add_perf_result(const PerfRecord& r) {
  Stmt s = impl_->db.prepare(
      "INSERT INTO perf_results(run_id, name, value, unit, repetitions, median, stddev, extra_json) "
      "VALUES (?,?,?,?,?,?,?,?) RETURNING id",
      "recording perf result " + r.name + " of run " + r.run_id);
  s.bind(1, r.run_id).bind(2, r.name).bind(3, r.value).bind(4, r.unit).bind(5, r.repetitions);
  s.bind(6, r.median).bind(7, r.stddev).bind(8, r.extra_json);
  int64_t id = s.step() ? s.i64(0) : 0;
  s.run();
  return id;
}

std::vector<PerfRecord> Store::get_perf_results(const std::string& run_id) {
  Stmt s = impl_->db.prepare(
      "SELECT id, run_id, name, value, unit, repetitions, median, stddev, extra_json, created_at "
      "FROM perf_results WHERE run_id = ? ORDER BY id",
      "reading perf results of run " + run_id);
  s.bind(1, run_id);
  std::vector<PerfRecord> out;
  while (s.step())
    out.push_back({s.i64(0), s.text(1), s.text(2), s.f64(3), s.text(4), s.i64(5), s.opt_f64(6), s.opt_f64(7),
                   s.text(8), s.text(9)});
  return out;
}

int64_t Store::add_kernel_result(const KernelRecord& r) {
  if (r.run_id.empty() && r.hardware_id.empty())
    fail(ErrorKind::invalid_input, "kernel result {} has neither a run id nor a hardware id", r.name);
  Stmt s = impl_->db.prepare(
      "INSERT INTO kernel_results(run_id, hardware_id, name, shape_json, dtype, isa, ns_per_iter, bytes_per_s, "
      "flops_per_s, peak_fraction, extra_json) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
      "recording kernel result " + r.name);
  s.bind_text_or_null(1, r.run_id).bind_text_or_null(2, r.hardware_id).bind(3, r.name).bind(4, r.shape_json);
  s.bind(5, r.dtype).bind(6, r.isa).bind(7, r.ns_per_iter).bind(8, r.bytes_per_s).bind(9, r.flops_per_s);
  s.bind(10, r.peak_fraction).bind(11, r.extra_json);
  int64_t id = s.step() ? s.i64(0) : 0;
  s.run();
  return id;
}

std::vector<KernelRecord> Store::get_kernel_results(const std::string& run_id, const std::string& hardware_id) {
  Stmt s = impl_->db.prepare(
      "SELECT id, run_id, hardware_id, name, shape_json, dtype, isa, ns_per_iter, bytes_per_s, flops_per_s, "
      "peak_fraction, extra_json, created_at FROM kernel_results "
      "WHERE (?1 <> '' AND run_id = ?1) OR (?1 = '' AND hardware_id = ?2) ORDER BY id",
      "reading kernel results");
  s.bind(1, run_id).bind(2, hardware_id);
  std::vector<KernelRecord> out;
  while (s.step())
    out.push_back({s.i64(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6), s.f64(7),
                   s.opt_f64(8), s.opt_f64(9), s.opt_f64(10), s.text(11), s.text(12)});
  return out;
}

}  // namespace ys::store
