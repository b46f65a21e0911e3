#include "stagegate/bus/sqlite.h"

#include <stdexcept>
#include <thread>

namespace stagegate::bus::sqlite {

Database open(const std::string& path, const char* vfs) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, vfs);
  Database db(raw);
  if (rc != SQLITE_OK)
    throw std::runtime_error("cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

bool exec(sqlite3* db, const char* sql, std::string& error) {
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) == SQLITE_OK) return true;
  error = message ? message : sqlite3_errmsg(db);
  sqlite3_free(message);
  return false;
}

void exec_or_throw(sqlite3* db, const char* sql) {
  std::string error;
  if (!exec(db, sql, error)) throw std::runtime_error(std::string("sqlite: ") + error + " in: " + sql);
}

void exec_setup_or_throw(sqlite3* db, const char* sql, std::chrono::milliseconds patience) {
  constexpr auto kPause = std::chrono::milliseconds(50);
  for (auto waited = std::chrono::milliseconds(0);; waited += kPause) {
    std::string error;
    if (exec(db, sql, error)) return;
    const int code = sqlite3_errcode(db);
    if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) || waited >= patience)
      throw std::runtime_error(std::string("sqlite: ") + error + " in: " + sql);
    std::this_thread::sleep_for(kPause);
  }
}

Statement::Statement(sqlite3* db, const char* sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr) != SQLITE_OK)
    throw std::runtime_error(std::string("sqlite: cannot prepare: ") + sqlite3_errmsg(db));
  statement_.reset(raw);
}

void Statement::reset() {
  sqlite3_reset(statement_.get());
  sqlite3_clear_bindings(statement_.get());
}

void Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(statement_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void Statement::bind_unowned(int index, std::string_view text) {
  sqlite3_bind_text(statement_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

void Statement::bind(int index, std::int64_t value) { sqlite3_bind_int64(statement_.get(), index, value); }

void Statement::bind_null(int index) { sqlite3_bind_null(statement_.get(), index); }

int Statement::step() { return sqlite3_step(statement_.get()); }

void Statement::run() {
  const int rc = step();
  sqlite3_reset(statement_.get());
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) throw StorageError(std::string("sqlite: ") + sqlite3_errstr(rc) + ": " + sqlite3_errmsg(db_));
}

bool Statement::next_row() {
  const int rc = step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(statement_.get());
  throw StorageError(std::string("sqlite: ") + sqlite3_errstr(rc) + ": " + sqlite3_errmsg(db_));
}

Transaction::Transaction(sqlite3* db) : db_(db) {
  std::string error;
  if (!exec(db_, "BEGIN IMMEDIATE", error)) throw StorageError("sqlite: cannot begin a transaction: " + error);
}

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  std::string error;
  if (!exec(db_, "COMMIT", error)) throw StorageError("sqlite: cannot commit: " + error);  // the destructor rolls back
  open_ = false;
}

std::int64_t Statement::column_int(int index) const { return sqlite3_column_int64(statement_.get(), index); }

bool Statement::column_is_null(int index) const { return sqlite3_column_type(statement_.get(), index) == SQLITE_NULL; }

std::int64_t Statement::scalar() {
  reset();
  const auto value = step() == SQLITE_ROW ? column_int(0) : 0;
  reset();
  return value;
}

std::string Statement::column_text(int index) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement_.get(), index));
  return text ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement_.get(), index))) : std::string();
}

}  // namespace stagegate::bus::sqlite
