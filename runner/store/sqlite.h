// Thin RAII wrappers over the SQLite C API: a connection (Db), a prepared statement
// (Stmt) and a write transaction (Txn). Every SQLite error becomes ys::Error(io) naming
// the database file and what the statement was for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace ys::store {

class Stmt;

class Db {
 public:
  // Opens (creating if needed) the database at path; sets busy_timeout, WAL, foreign keys.
  static Db open(const std::string& path, int busy_timeout_ms);
  Db() = default;
  Db(Db&& o) noexcept;
  Db& operator=(Db&& o) noexcept;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  ~Db();

  const std::string& path() const { return path_; }
  // Runs one or more statements without results.
  void exec(const std::string& sql, const std::string& purpose);
  Stmt prepare(const std::string& sql, const std::string& purpose);
  [[noreturn]] void raise(int rc, const std::string& purpose) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Stmt {
 public:
  Stmt(const Db& db, sqlite3_stmt* stmt, std::string purpose) : db_(&db), stmt_(stmt), purpose_(std::move(purpose)) {}
  Stmt(Stmt&& o) noexcept;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;
  ~Stmt();

  // Parameters are 1-based, as in SQLite.
  Stmt& bind(int i, const std::string& v);
  Stmt& bind(int i, int64_t v);
  Stmt& bind(int i, double v);
  Stmt& bind(int i, std::optional<double> v);
  Stmt& bind(int i, std::optional<int64_t> v);
  Stmt& bind_null(int i);
  // Text bound as NULL when empty.
  Stmt& bind_text_or_null(int i, const std::string& v);

  // Advances; true when a row is available, false when done.
  bool step();
  // Runs a statement that returns no rows.
  void run();
  void reset();

  // Columns are 0-based. NULL text reads as "", NULL numbers as 0 / nullopt.
  bool is_null(int c) const;
  std::string text(int c) const;
  int64_t i64(int c) const;
  double f64(int c) const;
  std::optional<double> opt_f64(int c) const;
  std::optional<int64_t> opt_i64(int c) const;

 private:
  const Db* db_;
  sqlite3_stmt* stmt_;
  std::string purpose_;
};

// BEGIN IMMEDIATE on construction (takes the write lock up front, waiting up to the busy
// timeout); ROLLBACK on destruction unless commit() was called.
class Txn {
 public:
  Txn(Db& db, std::string purpose);
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn();
  void commit();

 private:
  Db& db_;
  std::string purpose_;
  bool done_ = false;
};

}  // namespace ys::store
