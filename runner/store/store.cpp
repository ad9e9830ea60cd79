// Store: opening, runs, samples and metrics. Hardware, perf and kernel results are in
// store_results.cpp.
#include "runner/store/store.h"

#include "common/error.h"
#include "runner/store/schema.h"
#include "runner/store/store_impl.h"

#include <fmt/format.h>

#include <random>

namespace ys::store {

namespace {

const char* kRunColumns =
    "id, created_at, finished_at, status, kind, suite, model_path, model_sha256, quant, settings_json, "
    "dataset_json, protocol_json, protocol_version, code_version, seed, hardware_id, tag, wall_s, tokens, error";

RunRecord read_run(const Stmt& s) {
  RunRecord r;
  r.id = s.text(0);
  r.created_at = s.text(1);
  r.finished_at = s.text(2);
  r.status = s.text(3);
  r.kind = s.text(4);
  r.suite = s.text(5);
  r.model_path = s.text(6);
  r.model_sha256 = s.text(7);
  r.quant = s.text(8);
  r.settings_json = s.text(9);
  r.dataset_json = s.text(10);
  r.protocol_json = s.text(11);
  r.protocol_version = s.text(12);
  r.code_version = s.text(13);
  r.seed = s.i64(14);
  r.hardware_id = s.text(15);
  r.tag = s.text(16);
  r.wall_s = s.opt_f64(17);
  r.tokens = s.opt_i64(18);
  r.error = s.text(19);
  return r;
}

void check_status(const std::string& status) {
  if (status != "running" && status != "done" && status != "failed")
    fail(ErrorKind::invalid_input, "run status '{}' is not one of running, done, failed", status);
}

}  // namespace

std::string new_run_id() {
  std::random_device rd;
  uint64_t hi = (static_cast<uint64_t>(rd()) << 32) | rd();
  uint64_t lo = (static_cast<uint64_t>(rd()) << 32) | rd();
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                          // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF, hi & 0xFFFF, lo >> 48,
                     lo & 0xFFFFFFFFFFFFULL);
}

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Store Store::open(const std::filesystem::path& path, int busy_timeout_ms) {
  auto impl = std::make_unique<Impl>();
  impl->db = Db::open(path.string(), busy_timeout_ms);
  migrate(impl->db);
  return Store(std::move(impl));
}

const std::string& Store::path() const { return impl_->db.path(); }
int Store::schema_version() { return ys::store::schema_version(impl_->db); }

std::string Store::create_run(const RunRecord& run) {
  check_status(run.status);
  std::string id = run.id.empty() ? new_run_id() : run.id;
  Stmt s = impl_->db.prepare(
      "INSERT INTO runs(id, status, kind, suite, model_path, model_sha256, quant, settings_json, dataset_json, "
      "protocol_json, protocol_version, code_version, seed, hardware_id, tag, wall_s, tokens, error) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
      "recording a new run");
  s.bind(1, id).bind(2, run.status).bind(3, run.kind).bind(4, run.suite).bind(5, run.model_path);
  s.bind(6, run.model_sha256).bind(7, run.quant).bind(8, run.settings_json).bind(9, run.dataset_json);
  s.bind(10, run.protocol_json).bind(11, run.protocol_version).bind(12, run.code_version).bind(13, run.seed);
  s.bind_text_or_null(14, run.hardware_id).bind(15, run.tag).bind(16, run.wall_s).bind(17, run.tokens);
  s.bind(18, run.error);
  s.run();
  return id;
}

void Store::finish_run(const std::string& run_id, const std::string& status, std::optional<double> wall_s,
                       std::optional<int64_t> tokens, const std::string& error) {
  check_status(status);
  Stmt s = impl_->db.prepare(
      "UPDATE runs SET status = ?, wall_s = ?, tokens = ?, error = ?, "
      "finished_at = CASE WHEN ? = 'running' THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ','now') END "
      "WHERE id = ?",
      "finishing run " + run_id);
  s.bind(1, status).bind(2, wall_s).bind(3, tokens).bind(4, error).bind(5, status).bind(6, run_id).run();
  Stmt c = impl_->db.prepare("SELECT changes()", "checking the run update");
  if (c.step() && c.i64(0) == 0) fail(ErrorKind::invalid_input, "no run with id '{}' in {}", run_id, path());
}

std::optional<RunRecord> Store::get_run(const std::string& run_id) {
  Stmt s = impl_->db.prepare(fmt::format("SELECT {} FROM runs WHERE id = ?", kRunColumns), "reading run " + run_id);
  s.bind(1, run_id);
  if (!s.step()) return std::nullopt;
  return read_run(s);
}

std::vector<RunRecord> Store::list_runs(const RunFilter& f) {
  std::string sql = fmt::format(
      "SELECT {} FROM runs WHERE (?1 = '' OR suite = ?1) AND (?2 = '' OR instr(model_path, ?2) > 0) "
      "AND (?3 = '' OR status = ?3) AND (?4 = '' OR kind = ?4) AND (?5 = '' OR tag = ?5) "
      "ORDER BY created_at DESC, id LIMIT ?6",
      kRunColumns);
  Stmt s = impl_->db.prepare(sql, "listing runs");
  s.bind(1, f.suite).bind(2, f.model).bind(3, f.status).bind(4, f.kind).bind(5, f.tag);
  s.bind(6, f.limit > 0 ? f.limit : int64_t{-1});
  std::vector<RunRecord> out;
  while (s.step()) out.push_back(read_run(s));
  return out;
}

std::string Store::resolve_run_id(const std::string& prefix) {
  if (prefix.empty()) fail(ErrorKind::invalid_input, "empty run id (expected a run id or a unique prefix of one)");
  Stmt s = impl_->db.prepare("SELECT id FROM runs WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id LIMIT 3",
                             "looking up run id " + prefix);
  s.bind(1, prefix);
  std::vector<std::string> ids;
  while (s.step()) ids.push_back(s.text(0));
  if (ids.empty()) fail(ErrorKind::invalid_input, "no run id starts with '{}' in {} (see `yardstick list`)", prefix, path());
  if (ids.size() > 1)
    fail(ErrorKind::invalid_input, "run id prefix '{}' is ambiguous in {} ({}, {}{}): give more characters", prefix,
         path(), ids[0], ids[1], ids.size() > 2 ? ", ..." : "");
  return ids[0];
}

void Store::append_samples(const std::string& run_id, const std::vector<SampleRecord>& samples) {
  if (samples.empty()) return;
  Txn txn(impl_->db, fmt::format("appending {} samples to run {}", samples.size(), run_id));
  Stmt s = impl_->db.prepare(
      "INSERT INTO samples(run_id, doc_id, prompt_hash, request_json, output_json, target, scores_json, extra_json) "
      "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(run_id, doc_id) DO UPDATE SET prompt_hash = excluded.prompt_hash, "
      "request_json = excluded.request_json, output_json = excluded.output_json, target = excluded.target, "
      "scores_json = excluded.scores_json, extra_json = excluded.extra_json, created_at = excluded.created_at",
      "appending samples to run " + run_id);
  Stmt clear = impl_->db.prepare("DELETE FROM sample_failures WHERE run_id = ? AND doc_id = ?",
                                 "clearing failures of run " + run_id);
  for (const SampleRecord& r : samples) {
    s.bind(1, run_id).bind(2, r.doc_id).bind(3, r.prompt_hash).bind(4, r.request_json).bind(5, r.output_json);
    s.bind(6, r.target).bind(7, r.scores_json).bind(8, r.extra_json);
    s.run();
    s.reset();
    clear.bind(1, run_id).bind(2, r.doc_id).run();
    clear.reset();
  }
  txn.commit();
}

std::set<std::string> Store::finished_doc_ids(const std::string& run_id) {
  Stmt s = impl_->db.prepare("SELECT doc_id FROM samples WHERE run_id = ?", "reading finished documents of " + run_id);
  s.bind(1, run_id);
  std::set<std::string> out;
  while (s.step()) out.insert(s.text(0));
  return out;
}

std::vector<SampleRecord> Store::get_samples(const std::string& run_id) {
  Stmt s = impl_->db.prepare(
      "SELECT doc_id, prompt_hash, request_json, output_json, target, scores_json, extra_json, created_at "
      "FROM samples WHERE run_id = ? ORDER BY doc_id",
      "reading samples of run " + run_id);
  s.bind(1, run_id);
  std::vector<SampleRecord> out;
  while (s.step())
    out.push_back({s.text(0), s.text(1), s.text(2), s.text(3), s.text(4), s.text(5), s.text(6), s.text(7)});
  return out;
}

void Store::set_metrics(const std::string& run_id, const std::vector<MetricRecord>& metrics) {
  Txn txn(impl_->db, "storing metrics of run " + run_id);
  Stmt s = impl_->db.prepare(
      "INSERT INTO metrics(run_id, name, value, stderr, n, headline) VALUES (?,?,?,?,?,?) "
      "ON CONFLICT(run_id, name) DO UPDATE SET value = excluded.value, stderr = excluded.stderr, n = excluded.n, "
      "headline = excluded.headline",
      "storing metrics of run " + run_id);
  for (const MetricRecord& m : metrics) {
    s.bind(1, run_id).bind(2, m.name).bind(3, m.value).bind(4, m.std_err).bind(5, m.n);
    s.bind(6, int64_t{m.headline ? 1 : 0});
    s.run();
    s.reset();
  }
  txn.commit();
}

std::vector<MetricRecord> Store::get_metrics(const std::string& run_id) {
  Stmt s = impl_->db.prepare(
      "SELECT name, value, stderr, n, headline FROM metrics WHERE run_id = ? ORDER BY headline DESC, name",
      "reading metrics of run " + run_id);
  s.bind(1, run_id);
  std::vector<MetricRecord> out;
  while (s.step()) out.push_back({s.text(0), s.f64(1), s.opt_f64(2), s.i64(3), s.i64(4) != 0});
  return out;
}

std::string Store::integrity_check() {
  Stmt s = impl_->db.prepare("PRAGMA integrity_check", "checking database integrity");
  std::string out;
  while (s.step()) out += (out.empty() ? "" : "\n") + s.text(0);
  return out;
}

}  // namespace ys::store
