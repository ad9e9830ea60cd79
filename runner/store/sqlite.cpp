#include "runner/store/sqlite.h"

#include "common/error.h"

#include <sqlite3.h>

#include <chrono>
#include <thread>
#include <utility>

namespace ys::store {

Db Db::open(const std::string& path, int busy_timeout_ms) {
  Db db;
  db.path_ = path;
  int rc = sqlite3_open_v2(path.c_str(), &db.db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db.db_ ? sqlite3_errmsg(db.db_) : sqlite3_errstr(rc);
    fail(ErrorKind::io, "cannot open the result database {}: {} (expected a writable SQLite file path; see --db)",
         path, msg);
  }
  sqlite3_extended_result_codes(db.db_, 1);
  sqlite3_busy_timeout(db.db_, busy_timeout_ms);
  // Switching a fresh file to WAL takes an exclusive lock; when two processes create the
  // same store at once SQLite can answer SQLITE_BUSY without calling the busy handler
  // (deadlock avoidance), so the switch is retried here within the same timeout.
  for (int waited = 0;; waited += 10) {
    const int wrc = sqlite3_exec(db.db_, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    if (wrc == SQLITE_OK) break;
    if ((wrc & 0xFF) != SQLITE_BUSY || waited >= busy_timeout_ms) {
      db.exec("PRAGMA journal_mode=WAL", "switching to WAL mode");  // reports the error
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  db.exec("PRAGMA foreign_keys=ON", "enabling foreign keys");
  db.exec("PRAGMA synchronous=NORMAL", "setting synchronous=NORMAL");
  return db;
}

Db::Db(Db&& o) noexcept : db_(std::exchange(o.db_, nullptr)), path_(std::move(o.path_)) {}

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    if (db_) sqlite3_close_v2(db_);
    db_ = std::exchange(o.db_, nullptr);
    path_ = std::move(o.path_);
  }
  return *this;
}

Db::~Db() {
  if (db_) sqlite3_close_v2(db_);
}

void Db::raise(int rc, const std::string& purpose) const {
  std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  fail(ErrorKind::io, "SQLite error in {} while {}: {} (code {})", path_, purpose, msg, rc);
}

void Db::exec(const std::string& sql, const std::string& purpose) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    fail(ErrorKind::io, "SQLite error in {} while {}: {} (code {})", path_, purpose, msg, rc);
  }
}

Stmt Db::prepare(const std::string& sql, const std::string& purpose) {
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &s, nullptr);
  if (rc != SQLITE_OK) raise(rc, purpose + " (preparing the statement)");
  return Stmt(*this, s, purpose);
}

Stmt::Stmt(Stmt&& o) noexcept
    : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)), purpose_(std::move(o.purpose_)) {}

Stmt::~Stmt() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Stmt& Stmt::bind(int i, const std::string& v) {
  int rc = sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_->raise(rc, purpose_ + " (binding a parameter)");
  return *this;
}

Stmt& Stmt::bind(int i, int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK) db_->raise(rc, purpose_ + " (binding a parameter)");
  return *this;
}

Stmt& Stmt::bind(int i, double v) {
  int rc = sqlite3_bind_double(stmt_, i, v);
  if (rc != SQLITE_OK) db_->raise(rc, purpose_ + " (binding a parameter)");
  return *this;
}

Stmt& Stmt::bind(int i, std::optional<double> v) { return v ? bind(i, *v) : bind_null(i); }
Stmt& Stmt::bind(int i, std::optional<int64_t> v) { return v ? bind(i, *v) : bind_null(i); }

Stmt& Stmt::bind_null(int i) {
  int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK) db_->raise(rc, purpose_ + " (binding a parameter)");
  return *this;
}

Stmt& Stmt::bind_text_or_null(int i, const std::string& v) { return v.empty() ? bind_null(i) : bind(i, v); }

bool Stmt::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->raise(rc, purpose_);
}

void Stmt::run() {
  while (step()) {
  }
}

void Stmt::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool Stmt::is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }

std::string Stmt::text(int c) const {
  const unsigned char* p = sqlite3_column_text(stmt_, c);
  int n = sqlite3_column_bytes(stmt_, c);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}

int64_t Stmt::i64(int c) const { return sqlite3_column_int64(stmt_, c); }
double Stmt::f64(int c) const { return sqlite3_column_double(stmt_, c); }
std::optional<double> Stmt::opt_f64(int c) const {
  return is_null(c) ? std::nullopt : std::optional<double>(f64(c));
}
std::optional<int64_t> Stmt::opt_i64(int c) const {
  return is_null(c) ? std::nullopt : std::optional<int64_t>(i64(c));
}

Txn::Txn(Db& db, std::string purpose) : db_(db), purpose_(std::move(purpose)) {
  db_.exec("BEGIN IMMEDIATE", "starting a transaction for " + purpose_);
}

Txn::~Txn() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK", "rolling back " + purpose_);
    } catch (...) {
      // The transaction may already be gone (e.g. after a failed COMMIT); nothing to do.
    }
  }
}

void Txn::commit() {
  db_.exec("COMMIT", "committing " + purpose_);
  done_ = true;
}

}  // namespace ys::store
