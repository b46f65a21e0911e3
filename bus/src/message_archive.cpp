#include "stagegate/bus/message_archive.h"

#include "stagegate/bus/sqlite.h"
#include "stagegate/core/clock.h"

namespace stagegate::bus {

struct MessageArchive::Impl {
  sqlite::Database db;
  sqlite::Statement insert;
  mutable sqlite::Statement last;
  mutable sqlite::Statement count;

  explicit Impl(sqlite::Database opened)
      : db(std::move(opened)),
        insert(db.get(), "INSERT OR IGNORE INTO messages(sequence, topic, payload, stored_at) VALUES (?1, ?2, ?3, ?4)"),
        last(db.get(), "SELECT COALESCE(MAX(sequence), 0) FROM messages"),
        count(db.get(), "SELECT COUNT(*) FROM messages") {}
};

static sqlite::Database open_archive(const std::filesystem::path& file) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  auto db = sqlite::open(file.string());
  // WAL with NORMAL: a committed row survives the process being killed (not a power cut,
  // after which the gateway redelivers what was not acknowledged durably).
  sqlite::exec_or_throw(db.get(), "PRAGMA journal_mode=WAL");
  sqlite::exec_or_throw(db.get(), "PRAGMA synchronous=NORMAL");
  sqlite::exec_or_throw(db.get(),
                        "CREATE TABLE IF NOT EXISTS messages (sequence INTEGER PRIMARY KEY, topic TEXT NOT NULL,"
                        " payload TEXT NOT NULL, stored_at TEXT NOT NULL)");
  return db;
}

MessageArchive MessageArchive::open(const std::filesystem::path& file) {
  return MessageArchive(std::make_unique<Impl>(open_archive(file)));
}

MessageArchive::MessageArchive(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MessageArchive::~MessageArchive() = default;
MessageArchive::MessageArchive(MessageArchive&&) noexcept = default;
MessageArchive& MessageArchive::operator=(MessageArchive&&) noexcept = default;

bool MessageArchive::store(const BusMessage& message) {
  auto& insert = impl_->insert;
  insert.reset();
  insert.bind(1, static_cast<std::int64_t>(message.sequence));
  insert.bind(2, message.topic);
  insert.bind(3, message.payload);
  insert.bind(4, now_utc());
  const bool stored = insert.step() == SQLITE_DONE;
  insert.reset();
  return stored;
}

std::uint64_t MessageArchive::last_sequence() const { return static_cast<std::uint64_t>(impl_->last.scalar()); }

std::uint64_t MessageArchive::count() const { return static_cast<std::uint64_t>(impl_->count.scalar()); }

}  // namespace stagegate::bus
