#include "stagegate/bus/journal.h"

#include <mutex>

#include "sqlite.h"
#include "stagegate/core/clock.h"

namespace stagegate::bus {

struct Journal::Impl {
  sqlite::Database db;
  mutable std::mutex mutex;
  sqlite::Statement find_existing;
  sqlite::Statement insert;
  mutable sqlite::Statement read_after;
  mutable sqlite::Statement last;
  mutable sqlite::Statement count;

  explicit Impl(sqlite::Database opened)
      : db(std::move(opened)),
        find_existing(db.get(), "SELECT sequence, received_at FROM journal WHERE sender_id = ?1 AND message_id = ?2"),
        insert(db.get(),
               "INSERT INTO journal(received_at, sender_id, message_id, service_id, topic, payload, document) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
        read_after(db.get(),
                   "SELECT sequence, received_at, sender_id, message_id, service_id, topic, payload FROM journal "
                   "WHERE sequence > ?1 ORDER BY sequence LIMIT ?2"),
        last(db.get(), "SELECT COALESCE(MAX(sequence), 0) FROM journal"),
        count(db.get(), "SELECT COUNT(*) FROM journal") {}

  Result<Receipt> fail(const char* what) {
    std::string error = std::string(what) + ": " + sqlite3_errmsg(db.get());
    std::string ignored;
    sqlite::exec(db.get(), "ROLLBACK", ignored);
    return refuse(Code::Internal, "journal " + error);
  }
};

static sqlite::Database open_schema(const std::filesystem::path& file) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  auto db = sqlite::open(file.string());
  // WAL keeps readers (the dispatcher) off the writers' path; FULL syncs the WAL on every
  // commit, which is what makes an SCSS001 reply a promise.
  sqlite::exec_or_throw(db.get(), "PRAGMA journal_mode=WAL");
  sqlite::exec_or_throw(db.get(), "PRAGMA synchronous=FULL");
  sqlite::exec_or_throw(db.get(),
                        "CREATE TABLE IF NOT EXISTS journal ("
                        " sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
                        " received_at TEXT NOT NULL,"
                        " sender_id TEXT NOT NULL,"
                        " message_id TEXT NOT NULL,"
                        " service_id TEXT NOT NULL,"
                        " topic TEXT NOT NULL,"
                        " payload TEXT NOT NULL,"
                        " document TEXT NOT NULL,"
                        " UNIQUE(sender_id, message_id))");
  sqlite::exec_or_throw(db.get(), "PRAGMA user_version=1");
  return db;
}

Journal Journal::open(const std::filesystem::path& file) { return Journal(std::make_unique<Impl>(open_schema(file))); }

Journal::Journal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Journal::~Journal() = default;
Journal::Journal(Journal&&) noexcept = default;
Journal& Journal::operator=(Journal&&) noexcept = default;

Result<Receipt> Journal::append(const JournalInput& input) {
  std::lock_guard lock(impl_->mutex);
  std::string error;
  if (!sqlite::exec(impl_->db.get(), "BEGIN IMMEDIATE", error)) return refuse(Code::Internal, "journal begin: " + error);

  auto& find = impl_->find_existing;
  find.reset();
  find.bind(1, input.sender_id);
  find.bind(2, input.message_id);
  const int found = find.step();
  if (found == SQLITE_ROW) {
    Receipt first{static_cast<std::uint64_t>(find.column_int(0)), find.column_text(1), true};
    find.reset();
    sqlite::exec(impl_->db.get(), "ROLLBACK", error);
    return first;
  }
  find.reset();
  if (found != SQLITE_DONE) return impl_->fail("lookup");

  Receipt receipt{0, now_utc(), false};
  auto& insert = impl_->insert;
  insert.reset();
  insert.bind(1, receipt.received_at);
  insert.bind(2, input.sender_id);
  insert.bind(3, input.message_id);
  insert.bind(4, input.service_id);
  insert.bind(5, input.topic);
  insert.bind(6, input.payload);
  insert.bind(7, input.document);
  const int inserted = insert.step();
  insert.reset();
  if (inserted != SQLITE_DONE) return impl_->fail("insert");
  receipt.sequence = static_cast<std::uint64_t>(sqlite3_last_insert_rowid(impl_->db.get()));
  if (!sqlite::exec(impl_->db.get(), "COMMIT", error)) return impl_->fail("commit");
  return receipt;
}

std::vector<JournalEntry> Journal::read_after(std::uint64_t sequence, std::size_t limit) const {
  std::lock_guard lock(impl_->mutex);
  auto& read = impl_->read_after;
  read.reset();
  read.bind(1, static_cast<std::int64_t>(sequence));
  read.bind(2, static_cast<std::int64_t>(limit));
  std::vector<JournalEntry> entries;
  while (read.step() == SQLITE_ROW) {
    entries.push_back(JournalEntry{static_cast<std::uint64_t>(read.column_int(0)), read.column_text(1),
                                   read.column_text(2), read.column_text(3), read.column_text(4),
                                   read.column_text(5), read.column_text(6)});
  }
  read.reset();
  return entries;
}

std::uint64_t Journal::last_sequence() const {
  std::lock_guard lock(impl_->mutex);
  auto& last = impl_->last;
  last.reset();
  const auto value = last.step() == SQLITE_ROW ? static_cast<std::uint64_t>(last.column_int(0)) : 0;
  last.reset();
  return value;
}

std::uint64_t Journal::count() const {
  std::lock_guard lock(impl_->mutex);
  auto& count = impl_->count;
  count.reset();
  const auto value = count.step() == SQLITE_ROW ? static_cast<std::uint64_t>(count.column_int(0)) : 0;
  count.reset();
  return value;
}

}  // namespace stagegate::bus
