#include "stagegate/notification/outbox.h"

#include <chrono>

#include "stagegate/core/clock.h"

namespace stagegate::notification {
namespace {

namespace sqlite = bus::sqlite;

constexpr const char* kTables = R"(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
CREATE TABLE IF NOT EXISTS position(id INTEGER PRIMARY KEY CHECK (id = 1), sequence INTEGER NOT NULL);
INSERT OR IGNORE INTO position VALUES (1, 0);
CREATE TABLE IF NOT EXISTS contacts(
  citizen TEXT PRIMARY KEY,            -- HMAC of the IIN/BIN, never the number itself
  email TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox(
  id INTEGER PRIMARY KEY,
  application_id TEXT NOT NULL,
  stage INTEGER NOT NULL,
  stage_name TEXT NOT NULL,
  citizen TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  message_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'undeliverable')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  finished_at TEXT NOT NULL DEFAULT '',
  UNIQUE (application_id, stage, citizen));
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(state, next_attempt_ms);
)";

constexpr const char* kRowColumns =
    "id, application_id, stage, stage_name, citizen, message_id, subject, body, sequence, state, attempts,"
    " next_attempt_ms, last_error, created_at, finished_at";

OutboxRow row_from(sqlite::Statement& rows) {
  OutboxRow row;
  row.id = rows.column_int(0);
  row.entry.application_id = rows.column_text(1);
  row.entry.stage = static_cast<int>(rows.column_int(2));
  row.entry.stage_name = rows.column_text(3);
  row.entry.citizen = rows.column_text(4);
  row.entry.message_id = rows.column_text(5);
  row.entry.subject = rows.column_text(6);
  row.entry.body = rows.column_text(7);
  row.sequence = static_cast<std::uint64_t>(rows.column_int(8));
  row.state = rows.column_text(9);
  row.attempts = static_cast<int>(rows.column_int(10));
  row.next_attempt_ms = rows.column_int(11);
  row.last_error = rows.column_text(12);
  row.created_at = rows.column_text(13);
  row.finished_at = rows.column_text(14);
  return row;
}

}  // namespace

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Outbox::Outbox(const std::filesystem::path& file) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  db_ = sqlite::open(file.string());
  sqlite::exec_setup_or_throw(db_.get(), kTables);
}

Refusal Outbox::failed(const char* what) const {
  return refuse(Code::Internal, std::string("notification outbox: ") + what + ": " + sqlite3_errmsg(db_.get()));
}

Result<Recorded> Outbox::record(const OutboxEntry& entry, std::uint64_t sequence) {
  std::lock_guard lock(mutex_);
  std::string error;
  if (!sqlite::exec(db_.get(), "BEGIN IMMEDIATE", error)) return refuse(Code::Internal, "notification outbox: " + error);
  auto outcome = record_in_transaction(entry, sequence);
  if (!outcome) {
    sqlite::exec(db_.get(), "ROLLBACK", error);
    return outcome;
  }
  if (!sqlite::exec(db_.get(), "COMMIT", error)) {
    sqlite::exec(db_.get(), "ROLLBACK", error);
    return refuse(Code::Internal, "notification outbox: " + error);
  }
  return outcome;
}

Result<Recorded> Outbox::record_in_transaction(const OutboxEntry& entry, std::uint64_t sequence) {
  sqlite::Statement position(db_.get(), "SELECT sequence FROM position WHERE id = 1");
  if (static_cast<std::uint64_t>(position.scalar()) >= sequence) return Recorded::Duplicate;
  sqlite::Statement advance(db_.get(), "UPDATE position SET sequence = ?1 WHERE id = 1");
  advance.bind(1, static_cast<std::int64_t>(sequence));
  if (advance.step() != SQLITE_DONE) return failed("position");
  sqlite::Statement insert(db_.get(),
                           "INSERT OR IGNORE INTO outbox(application_id, stage, stage_name, citizen, sequence, message_id,"
                           " subject, body, state, next_attempt_ms, created_at)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'pending', 0, ?9)");
  insert.bind(1, entry.application_id);
  insert.bind(2, static_cast<std::int64_t>(entry.stage));
  insert.bind(3, entry.stage_name);
  insert.bind(4, entry.citizen);
  insert.bind(5, static_cast<std::int64_t>(sequence));
  insert.bind(6, entry.message_id);
  insert.bind(7, entry.subject);
  insert.bind(8, entry.body);
  insert.bind(9, now_utc());
  if (insert.step() != SQLITE_DONE) return failed("insert");
  return sqlite3_changes(db_.get()) == 0 ? Recorded::AlreadyKnown : Recorded::Queued;
}

std::uint64_t Outbox::last_sequence() const {
  std::lock_guard lock(mutex_);
  sqlite::Statement position(db_.get(), "SELECT sequence FROM position WHERE id = 1");
  return static_cast<std::uint64_t>(position.scalar());
}

Result<std::size_t> Outbox::import_contacts(const std::vector<std::pair<std::string, std::string>>& contacts) {
  std::lock_guard lock(mutex_);
  std::string error;
  if (!sqlite::exec(db_.get(), "BEGIN IMMEDIATE", error)) return refuse(Code::Internal, "contacts: " + error);
  sqlite::Statement upsert(db_.get(),
                           "INSERT INTO contacts(citizen, email, updated_at) VALUES (?1, ?2, ?3)"
                           " ON CONFLICT(citizen) DO UPDATE SET email = excluded.email, updated_at = excluded.updated_at");
  const auto now = now_utc();
  for (const auto& [citizen, email] : contacts) {
    upsert.reset();
    upsert.bind(1, citizen);
    upsert.bind(2, email);
    upsert.bind(3, now);
    if (upsert.step() != SQLITE_DONE) {
      auto refusal = failed("contacts");
      sqlite::exec(db_.get(), "ROLLBACK", error);
      return refusal;
    }
  }
  if (!sqlite::exec(db_.get(), "COMMIT", error)) {
    sqlite::exec(db_.get(), "ROLLBACK", error);
    return refuse(Code::Internal, "contacts: " + error);
  }
  return contacts.size();
}

std::optional<std::string> Outbox::contact_of(const std::string& citizen) const {
  std::lock_guard lock(mutex_);
  sqlite::Statement find(db_.get(), "SELECT email FROM contacts WHERE citizen = ?1");
  find.bind(1, citizen);
  if (find.step() != SQLITE_ROW) return std::nullopt;
  return find.column_text(0);
}

std::optional<OutboxRow> Outbox::next_due(std::int64_t now) const {
  std::lock_guard lock(mutex_);
  sqlite::Statement due(db_.get(), (std::string("SELECT ") + kRowColumns +
                                    " FROM outbox WHERE state = 'pending' AND next_attempt_ms <= ?1 ORDER BY next_attempt_ms, id LIMIT 1")
                                       .c_str());
  due.bind(1, now);
  if (due.step() != SQLITE_ROW) return std::nullopt;
  return row_from(due);
}

std::optional<std::int64_t> Outbox::next_wakeup() const {
  std::lock_guard lock(mutex_);
  sqlite::Statement earliest(db_.get(), "SELECT MIN(next_attempt_ms), COUNT(*) FROM outbox WHERE state = 'pending'");
  if (earliest.step() != SQLITE_ROW || earliest.column_int(1) == 0) return std::nullopt;
  return earliest.column_int(0);
}

Status Outbox::finish(bus::sqlite::Statement& update, std::int64_t id) {
  if (update.step() != SQLITE_DONE) return failed("update");
  if (sqlite3_changes(db_.get()) == 0) return refuse(Code::DataInvalid, "no outbox row " + std::to_string(id) + " in that state");
  return proceed();
}

Status Outbox::mark_sending(std::int64_t id) {
  std::lock_guard lock(mutex_);
  sqlite::Statement update(db_.get(), "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?1 AND state = 'pending'");
  update.bind(1, id);
  return finish(update, id);
}

Status Outbox::mark_sent(std::int64_t id) {
  std::lock_guard lock(mutex_);
  sqlite::Statement update(db_.get(),
                           "UPDATE outbox SET state = 'sent', last_error = '', finished_at = ?2 WHERE id = ?1 AND state = 'sending'");
  update.bind(1, id);
  update.bind(2, now_utc());
  return finish(update, id);
}

Status Outbox::mark_retry(std::int64_t id, std::int64_t next_attempt, const std::string& error) {
  std::lock_guard lock(mutex_);
  sqlite::Statement update(db_.get(),
                           "UPDATE outbox SET state = 'pending', last_error = ?2, next_attempt_ms = ?3 WHERE id = ?1"
                           " AND state IN ('pending', 'sending')");
  update.bind(1, id);
  update.bind(2, error);
  update.bind(3, next_attempt);
  return finish(update, id);
}

Status Outbox::mark_undeliverable(std::int64_t id, const std::string& reason) {
  std::lock_guard lock(mutex_);
  sqlite::Statement update(db_.get(),
                           "UPDATE outbox SET state = 'undeliverable', last_error = ?2, finished_at = ?3 WHERE id = ?1"
                           " AND state IN ('pending', 'sending')");
  update.bind(1, id);
  update.bind(2, reason);
  update.bind(3, now_utc());
  return finish(update, id);
}

std::vector<std::int64_t> Outbox::settle_interrupted() {
  std::vector<std::int64_t> settled;
  for (const auto& row : list({"sending"})) {
    const auto reason = "uncertain: interrupted during the SMTP transaction (attempt " + std::to_string(row.attempts) +
                        "); the server may have accepted it: look for Message-ID " + row.entry.message_id +
                        " in its log, and `stagegate notify resend " + std::to_string(row.id) + "` only if it is not there";
    if (mark_undeliverable(row.id, reason)) settled.push_back(row.id);
  }
  return settled;
}

Status Outbox::resend(std::int64_t id) {
  std::lock_guard lock(mutex_);
  sqlite::Statement update(db_.get(),
                           "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_ms = 0,"
                           " last_error = 'resent by an operator', finished_at = '' WHERE id = ?1 AND state = 'undeliverable'");
  update.bind(1, id);
  return finish(update, id);
}

std::vector<OutboxRow> Outbox::list(const std::vector<std::string>& states) const {
  std::lock_guard lock(mutex_);
  std::string sql = std::string("SELECT ") + kRowColumns + " FROM outbox WHERE state IN (";
  for (std::size_t i = 0; i < states.size(); ++i) sql += (i ? ", ?" : "?") + std::to_string(i + 1);
  sql += ") ORDER BY id";
  sqlite::Statement rows(db_.get(), sql.c_str());
  for (std::size_t i = 0; i < states.size(); ++i) rows.bind(static_cast<int>(i + 1), states[i]);
  std::vector<OutboxRow> found;
  while (rows.step() == SQLITE_ROW) found.push_back(row_from(rows));
  return found;
}

std::size_t Outbox::count(const std::string& state) const {
  std::lock_guard lock(mutex_);
  sqlite::Statement counted(db_.get(), "SELECT COUNT(*) FROM outbox WHERE state = ?1");
  counted.bind(1, state);  // (scalar() would clear the binding)
  return counted.step() == SQLITE_ROW ? static_cast<std::size_t>(counted.column_int(0)) : 0;
}

}  // namespace stagegate::notification
