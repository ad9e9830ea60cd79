#include "runner/store/schema.h"

#include "common/error.h"

namespace ys::store {

namespace {

// created_at columns: ISO 8601 UTC with milliseconds.
#define YS_NOW "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"

const char* kV1 = R"sql(
CREATE TABLE hardware (
  id               TEXT PRIMARY KEY,          -- sha256 of fingerprint_json
  fingerprint_json TEXT NOT NULL,
  cpu_model        TEXT NOT NULL DEFAULT '',
  cores            INTEGER NOT NULL DEFAULT 0,
  memory_bytes     INTEGER NOT NULL DEFAULT 0,
  gpu_json         TEXT NOT NULL DEFAULT '[]',
  created_at       TEXT NOT NULL DEFAULT )sql" YS_NOW R"sql(
);
CREATE TABLE runs (
  id               TEXT PRIMARY KEY,
  created_at       TEXT NOT NULL DEFAULT )sql" YS_NOW R"sql(,
  finished_at      TEXT,
  status           TEXT NOT NULL CHECK (status IN ('running','done','failed')),
  kind             TEXT NOT NULL CHECK (kind IN ('eval','bench','quant')),
  suite            TEXT NOT NULL,
  model_path       TEXT NOT NULL DEFAULT '',
  model_sha256     TEXT NOT NULL DEFAULT '',
  quant            TEXT NOT NULL DEFAULT '',
  settings_json    TEXT NOT NULL DEFAULT '{}',
  dataset_json     TEXT NOT NULL DEFAULT '{}',
  protocol_json    TEXT NOT NULL DEFAULT '{}',
  protocol_version TEXT NOT NULL DEFAULT '',
  code_version     TEXT NOT NULL DEFAULT '',
  seed             INTEGER NOT NULL DEFAULT 0,
  hardware_id      TEXT REFERENCES hardware(id),
  tag              TEXT NOT NULL DEFAULT '',
  wall_s           REAL,
  tokens           INTEGER,
  error            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_suite ON runs(suite, created_at);
CREATE INDEX runs_by_created ON runs(created_at);
CREATE TABLE samples (
  run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  doc_id      TEXT NOT NULL,
  prompt_hash TEXT NOT NULL DEFAULT '',
  request_json TEXT NOT NULL DEFAULT '{}',
  output_json TEXT NOT NULL DEFAULT '{}',
  target      TEXT NOT NULL DEFAULT '',
  scores_json TEXT NOT NULL DEFAULT '{}',
  extra_json  TEXT NOT NULL DEFAULT '{}',
  created_at  TEXT NOT NULL DEFAULT )sql" YS_NOW R"sql(,
  PRIMARY KEY (run_id, doc_id)
);
CREATE TABLE metrics (
  run_id   TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name     TEXT NOT NULL,
  value    REAL NOT NULL,
  stderr   REAL,
  n        INTEGER NOT NULL DEFAULT 0,
  headline INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (run_id, name)
);
CREATE TABLE perf_results (
  id          INTEGER PRIMARY KEY,
  run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  value       REAL NOT NULL,
  unit        TEXT NOT NULL DEFAULT '',
  repetitions INTEGER NOT NULL DEFAULT 1,
  median      REAL,
  stddev      REAL,
  extra_json  TEXT NOT NULL DEFAULT '{}',
  created_at  TEXT NOT NULL DEFAULT )sql" YS_NOW R"sql(
);
CREATE INDEX perf_by_run ON perf_results(run_id);
CREATE TABLE kernel_results (
  id            INTEGER PRIMARY KEY,
  run_id        TEXT REFERENCES runs(id) ON DELETE CASCADE,
  hardware_id   TEXT REFERENCES hardware(id),
  name          TEXT NOT NULL,
  shape_json    TEXT NOT NULL DEFAULT '{}',
  dtype         TEXT NOT NULL DEFAULT '',
  isa           TEXT NOT NULL DEFAULT '',
  ns_per_iter   REAL NOT NULL,
  bytes_per_s   REAL,
  flops_per_s   REAL,
  peak_fraction REAL,
  extra_json    TEXT NOT NULL DEFAULT '{}',
  created_at    TEXT NOT NULL DEFAULT )sql" YS_NOW R"sql(,
  CHECK (run_id IS NOT NULL OR hardware_id IS NOT NULL)
);
CREATE INDEX kernel_by_run ON kernel_results(run_id);
CREATE INDEX kernel_by_hardware ON kernel_results(hardware_id, name);
)sql";

// Migration 2 (remote models): the request/response cache of the remote client, keyed by
// sha256 over endpoint, served model, request and protocol (engine/remote/response_cache.h),
// and the documents of a run whose requests failed after their retries (a resumed run
// retries exactly those; a stored sample clears its failure).
const char* kV2 = R"sql(
CREATE TABLE remote_cache (
  key           TEXT PRIMARY KEY,
  endpoint      TEXT NOT NULL,
  model         TEXT NOT NULL,
  protocol      TEXT NOT NULL,
  request_json  TEXT NOT NULL,
  response_json TEXT NOT NULL,
  created_at    TEXT NOT NULL DEFAULT )sql" YS_NOW R"sql(
);
CREATE TABLE sample_failures (
  run_id     TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  doc_id     TEXT NOT NULL,
  error      TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT )sql" YS_NOW R"sql(,
  PRIMARY KEY (run_id, doc_id)
);
)sql";

#undef YS_NOW

}  // namespace

const std::vector<std::string>& migrations() {
  static const std::vector<std::string> list = {kV1, kV2};
  return list;
}

int schema_version(Db& db) {
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", "creating schema_version");
  Stmt s = db.prepare("SELECT MAX(version) FROM schema_version", "reading the schema version");
  return s.step() && !s.is_null(0) ? static_cast<int>(s.i64(0)) : 0;
}

int migrate(Db& db) {
  const auto& list = migrations();
  const int latest = static_cast<int>(list.size());
  if (schema_version(db) == latest) return latest;  // the common case: nothing to do
  for (int target = 1; target <= latest; ++target) {
    Txn txn(db, fmt::format("schema migration {}", target));
    int current = schema_version(db);  // re-read under the write lock
    if (current > latest)
      fail(ErrorKind::unsupported, "result database {} has schema version {}, newer than this yardstick ({}): upgrade",
           db.path(), current, latest);
    if (current >= target) continue;
    db.exec(list[static_cast<size_t>(target - 1)], fmt::format("applying schema migration {}", target));
    Stmt ins = db.prepare("INSERT INTO schema_version(version) VALUES (?)", "recording the schema version");
    ins.bind(1, static_cast<int64_t>(target)).run();
    txn.commit();
  }
  int v = schema_version(db);
  if (v > latest)
    fail(ErrorKind::unsupported, "result database {} has schema version {}, newer than this yardstick ({}): upgrade",
         db.path(), v, latest);
  return v;
}

}  // namespace ys::store
