#pragma once
// Move-only RAII over sqlite3* and sqlite3_stmt*, for the journal and for consumers' stores. Errors are returned, not thrown, except
// where a caller asks for the throwing form at startup.
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace stagegate::bus::sqlite {

struct CloseDatabase {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct FinalizeStatement {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Database = std::unique_ptr<sqlite3, CloseDatabase>;

// A storage operation that did not complete (busy, locked, read-only, disk full, I/O).
struct StorageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws std::runtime_error: for opening at startup. `vfs`: a registered VFS by name, or the default.
Database open(const std::string& path, const char* vfs = nullptr);
// Runs SQL with no result rows; false and `error` filled on failure.
bool exec(sqlite3* db, const char* sql, std::string& error);
void exec_or_throw(sqlite3* db, const char* sql);
// For a store's schema setup at startup (PRAGMA journal_mode=WAL, CREATE TABLE IF NOT EXISTS):
// switching a new file to WAL needs it alone and SQLite does not wait for that through the
// busy handler, so a CLI command opening a store while its consumer creates it would fail
// "database is locked". Retries for up to `patience`; then throws std::runtime_error.
void exec_setup_or_throw(sqlite3* db, const char* sql, std::chrono::milliseconds patience = std::chrono::seconds(5));

class Statement {
 public:
  Statement(sqlite3* db, const char* sql);  // throws std::runtime_error on a bad statement
  void reset();
  void bind(int index, std::string_view text);  // copied by SQLite
  // Not copied: `text` must stay alive until reset(), which clears every binding. For the
  // journal's payloads and documents, which SQLite otherwise copies once more per insert.
  void bind_unowned(int index, std::string_view text);
  void bind(int index, std::int64_t value);
  void bind_null(int index);
  int step();  // SQLITE_ROW, SQLITE_DONE or an error code
  // For writes: steps once and resets; throws StorageError unless it is SQLITE_DONE.
  void run();
  // For reads: true on a row, false when done; throws StorageError on an error.
  bool next_row();
  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;
  bool column_is_null(int index) const;
  // The first column of the first row as a number (0 when there is none), statement reset.
  std::int64_t scalar();

 private:
  std::unique_ptr<sqlite3_stmt, FinalizeStatement> statement_;
  sqlite3* db_;
};

// BEGIN IMMEDIATE now; ROLLBACK when it goes out of scope without commit(), so a failed
// step never leaves the connection inside a transaction. Throws StorageError.
class Transaction {
 public:
  explicit Transaction(sqlite3* db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  sqlite3* db_;
  bool open_ = true;
};

}  // namespace stagegate::bus::sqlite
