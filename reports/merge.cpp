#include "reports/merge.h"

#include "common/error.h"
#include "runner/store/sqlite.h"
#include "runner/store/store.h"

#include <map>

namespace ys::reports {
namespace {

using store::Db;
using store::Stmt;
using store::Txn;

const char* kProvenance[] = {"kind", "suite", "model_sha256", "quant", "settings_json", "dataset_json",
                             "protocol_json", "protocol_version", "code_version", "seed", "hardware_id"};

int64_t count(Db& db, const std::string& table) {
  Stmt s = db.prepare("SELECT COUNT(*) FROM main." + table, "counting " + table);
  return s.step() ? s.i64(0) : 0;
}

void check_provenance(Db& db, const std::string& in_path) {
  for (const char* col : kProvenance) {
    std::string sql = std::string("SELECT s.id, CAST(s.") + col + " AS TEXT), CAST(m." + col +
                      " AS TEXT) FROM src.runs s JOIN main.runs m ON m.id = s.id WHERE s." + col + " IS NOT m." + col +
                      " LIMIT 1";
    Stmt st = db.prepare(sql, "comparing run provenance");
    if (st.step())
      fail(ErrorKind::invalid_input, "merge {}: run {} exists in both stores with different {} ('{}' vs '{}')", in_path,
           st.text(0), col, st.text(1).substr(0, 120), st.text(2).substr(0, 120));
  }
}

const char* kRunCols =
    "id, created_at, finished_at, status, kind, suite, model_path, model_sha256, quant, settings_json, dataset_json, "
    "protocol_json, protocol_version, code_version, seed, hardware_id, tag, wall_s, tokens, error";
const char* kSampleCols = "run_id, doc_id, prompt_hash, request_json, output_json, target, scores_json, extra_json, created_at";
const char* kPerfCols = "run_id, name, value, unit, repetitions, median, stddev, extra_json, created_at";
const char* kKernelCols =
    "run_id, hardware_id, name, shape_json, dtype, isa, ns_per_iter, bytes_per_s, flops_per_s, peak_fraction, extra_json, "
    "created_at";

std::string same_content(const std::string& cols) {
  std::string cond, col;
  for (size_t i = 0; i <= cols.size(); ++i) {
    if (i == cols.size() || cols[i] == ',') {
      if (!cond.empty()) cond += " AND ";
      cond += "d." + col + " IS s." + col;
      col.clear();
    } else if (cols[i] != ' ') {
      col += cols[i];
    }
  }
  return cond;
}

void fold(Db& db) {
  db.exec("INSERT OR IGNORE INTO main.hardware SELECT id, fingerprint_json, cpu_model, cores, memory_bytes, gpu_json, "
          "created_at FROM src.hardware",
          "merging hardware");
  // Runs done in the input but not in the output: take status, timings and metrics.
  db.exec("CREATE TEMP TABLE IF NOT EXISTS ys_upgraded(id TEXT PRIMARY KEY); DELETE FROM temp.ys_upgraded;", "merge scratch");
  db.exec("INSERT INTO temp.ys_upgraded SELECT s.id FROM src.runs s JOIN main.runs m ON m.id = s.id "
          "WHERE s.status = 'done' AND m.status <> 'done'",
          "finding finished runs");
  db.exec("UPDATE main.runs SET (status, finished_at, wall_s, tokens, error) = (SELECT s.status, s.finished_at, s.wall_s, "
          "s.tokens, s.error FROM src.runs s WHERE s.id = main.runs.id) WHERE id IN (SELECT id FROM temp.ys_upgraded)",
          "updating finished runs");
  db.exec(std::string("INSERT OR IGNORE INTO main.runs (") + kRunCols + ") SELECT " + kRunCols + " FROM src.runs",
          "merging runs");
  db.exec(std::string("INSERT OR IGNORE INTO main.samples (") + kSampleCols + ") SELECT " + kSampleCols +
              " FROM src.samples",
          "merging samples");
  db.exec("INSERT OR REPLACE INTO main.metrics (run_id, name, value, stderr, n, headline) SELECT run_id, name, value, "
          "stderr, n, headline FROM src.metrics WHERE run_id IN (SELECT id FROM temp.ys_upgraded)",
          "merging metrics of finished runs");
  db.exec("INSERT OR IGNORE INTO main.metrics (run_id, name, value, stderr, n, headline) SELECT run_id, name, value, "
          "stderr, n, headline FROM src.metrics",
          "merging metrics");
  db.exec(std::string("INSERT INTO main.perf_results (") + kPerfCols + ") SELECT " + kPerfCols +
              " FROM src.perf_results s WHERE NOT EXISTS (SELECT 1 FROM main.perf_results d WHERE " +
              same_content(kPerfCols) + ")",
          "merging perf results");
  db.exec(std::string("INSERT INTO main.kernel_results (") + kKernelCols + ") SELECT " + kKernelCols +
              " FROM src.kernel_results s WHERE NOT EXISTS (SELECT 1 FROM main.kernel_results d WHERE " +
              same_content(kKernelCols) + ")",
          "merging kernel results");
}

}  // namespace

MergeCounts merge_store(const std::string& out_path, const std::string& in_path) {
  { store::Store::open(in_path); }   // validates the input's schema (and migrates an older one)
  { store::Store::open(out_path); }  // creates the output with the current schema
  Db db = Db::open(out_path, 30000);
  {
    Stmt attach = db.prepare("ATTACH DATABASE ? AS src", "attaching " + in_path);
    attach.bind(1, in_path).run();
  }
  MergeCounts before, after;
  auto snapshot = [&](MergeCounts& c) {
    c.hardware = count(db, "hardware"), c.runs = count(db, "runs"), c.samples = count(db, "samples");
    c.metrics = count(db, "metrics"), c.perf = count(db, "perf_results"), c.kernels = count(db, "kernel_results");
  };
  try {
    Txn txn(db, "merging " + in_path);
    check_provenance(db, in_path);
    snapshot(before);
    Stmt up = db.prepare("SELECT COUNT(*) FROM src.runs s JOIN main.runs m ON m.id = s.id WHERE s.status = 'done' AND "
                         "m.status <> 'done'", "counting finished runs");
    int64_t upgraded = up.step() ? up.i64(0) : 0;
    fold(db);
    snapshot(after);
    after.runs_updated = upgraded;
    txn.commit();
  } catch (...) {
    db.exec("DETACH DATABASE src", "detaching " + in_path);
    throw;
  }
  db.exec("DETACH DATABASE src", "detaching " + in_path);
  return {after.hardware - before.hardware, after.runs - before.runs, after.runs_updated, after.samples - before.samples,
          after.metrics - before.metrics, after.perf - before.perf, after.kernels - before.kernels};
}

}  // namespace ys::reports
