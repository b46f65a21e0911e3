#include "schema.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "journal_writer_vfs.h"

namespace stagegate::bus {
namespace {

// The tables every layout shares: delivery state and the high-water mark of retention.
constexpr const char* kDeliveryTables =
    "CREATE TABLE IF NOT EXISTS consumers ("
    " name TEXT PRIMARY KEY,"
    " topics TEXT NOT NULL,"
    " acknowledged INTEGER NOT NULL,"
    " first_seen TEXT NOT NULL,"
    " last_seen TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS attempts ("
    " consumer TEXT NOT NULL,"
    " sequence INTEGER NOT NULL,"
    " failures INTEGER NOT NULL,"
    " last_reason TEXT NOT NULL,"
    " PRIMARY KEY(consumer, sequence));"
    "CREATE TABLE IF NOT EXISTS dead_letters ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " consumer TEXT NOT NULL,"
    " sequence INTEGER NOT NULL,"
    " failures INTEGER NOT NULL,"
    " reason TEXT NOT NULL,"
    " at TEXT NOT NULL,"
    " UNIQUE(consumer, sequence));"
    "CREATE TABLE IF NOT EXISTS replays ("
    " consumer TEXT NOT NULL,"
    " sequence INTEGER NOT NULL,"
    " requested_at TEXT NOT NULL,"
    " PRIMARY KEY(consumer, sequence));"
    // Sequences are never reused. The journal hands out MAX(sequence) + 1, so retention
    // records here the newest sequence it deletes; written only when retention deletes.
    "CREATE TABLE IF NOT EXISTS retired ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " last_sequence INTEGER NOT NULL);";

// The columns after the sequence, the same in both layouts (a macro: the SQL is one literal).
#define STAGEGATE_JOURNAL_COLUMNS                                                           \
  " received_at TEXT NOT NULL, sender_id TEXT NOT NULL, message_id TEXT NOT NULL,"       \
  " service_id TEXT NOT NULL, topic TEXT NOT NULL, payload TEXT NOT NULL,"               \
  " document TEXT NOT NULL, UNIQUE(sender_id, message_id));"

// The compact layout of new journals (user_version 4). Per message the WAL gets the
// journal row (payload and document, mostly in overflow pages written once), one leaf of
// the duplicate check's index (messageIds are random, so a random leaf), one leaf per
// destination and page 1; with small pages (JournalOptions::page_size) each of those
// leaves costs less, but every frame is a write call (docs/performance.md).
// - No AUTOINCREMENT: it rewrote the sqlite_sequence page in every commit; the journal
//   hands out sequences itself (see `retired`).
// - routes.payload NULL: the destination sees the journal's payload, stored once.
// - No index on routes(sequence): retention walks the few destinations instead.
constexpr const char* kCompactLayout =
    "CREATE TABLE journal ("
    " sequence INTEGER PRIMARY KEY,"
    STAGEGATE_JOURNAL_COLUMNS
    "CREATE TABLE routes ("
    " destination TEXT NOT NULL,"
    " sequence INTEGER NOT NULL,"
    " payload TEXT,"
    " PRIMARY KEY(destination, sequence)) WITHOUT ROWID;"
    "PRAGMA user_version=4;";

// Journals created before the compact layout keep their tables (page size, AUTOINCREMENT
// and routes with a payload copy each): rewriting them would copy every payload.
constexpr const char* kEarlierLayout =
    "CREATE TABLE IF NOT EXISTS journal ("
    " sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
    STAGEGATE_JOURNAL_COLUMNS
    "CREATE TABLE IF NOT EXISTS routes ("
    " destination TEXT NOT NULL,"
    " sequence INTEGER NOT NULL,"
    " payload TEXT NOT NULL,"
    " PRIMARY KEY(destination, sequence)) WITHOUT ROWID;";

constexpr std::int64_t kCheckpointBytes = 4 * 1024 * 1024;

sqlite::Database open_journal(const std::filesystem::path& file, int page_size, const char* vfs) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  auto db = sqlite::open(file.string(), vfs);
  // Takes effect only for a new file (SQLite cannot change it in WAL mode): every page a
  // commit dirties goes to the WAL whole, and most of them are leaves that gain one small
  // entry (a random leaf of the duplicate check, each destination's last leaf).
  sqlite::exec_or_throw(db.get(), (std::string("PRAGMA page_size=") + std::to_string(page_size)).c_str());
  // WAL keeps readers (delivery) off the writers' path; FULL syncs the WAL on every commit,
  // which is what makes an SCSS001 reply a promise.
  sqlite::exec_or_throw(db.get(), "PRAGMA journal_mode=WAL");
  sqlite::exec_or_throw(db.get(), "PRAGMA synchronous=FULL");
  // SQLite's default checkpoints every 1000 pages, 4 MB of WAL with 4 KB pages but only 1 MB
  // with 1 KB: kept at 4 MB, so the pages a checkpoint copies and its two syncs are shared
  // by as many messages as before.
  sqlite::Statement actual_page_size(db.get(), "PRAGMA page_size");
  const auto checkpoint_pages = kCheckpointBytes / std::max<std::int64_t>(actual_page_size.scalar(), 512);
  sqlite::exec_or_throw(db.get(), ("PRAGMA wal_autocheckpoint=" + std::to_string(checkpoint_pages)).c_str());
  // Setting up takes the write lock: only when something is missing or older, so the
  // connections opened later (reader, delivery state) do not queue behind commits.
  sqlite::Statement pending(db.get(),
                            "SELECT (SELECT COUNT(*) FROM sqlite_master WHERE name IN ('journal', 'retired')) < 2"
                            " OR EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'routes_by_sequence')");
  if (pending.scalar() == 0) return db;
  sqlite::Transaction setup(db.get());
  sqlite::Statement has_journal(db.get(), "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'journal'");
  sqlite::Statement version(db.get(), "PRAGMA user_version");
  if (has_journal.scalar() == 0) {
    sqlite::exec_or_throw(db.get(), kCompactLayout);
  } else if (version.scalar() < kCompactLayoutVersion) {
    sqlite::exec_or_throw(db.get(), kEarlierLayout);
    // Journals written before routing rules: each message went to its topic, whole.
    if (version.scalar() < 3)
      sqlite::exec_or_throw(db.get(),
                            "INSERT OR IGNORE INTO routes(destination, sequence, payload)"
                            " SELECT topic, sequence, payload FROM journal;"
                            "PRAGMA user_version=3;");
    // Served only retention, which now walks the destinations; one page less per message.
    sqlite::exec_or_throw(db.get(), "DROP INDEX IF EXISTS routes_by_sequence");
  }
  sqlite::exec_or_throw(db.get(), kDeliveryTables);
  setup.commit();
  return db;
}

}  // namespace

sqlite::Database open_journal_database(const std::filesystem::path& file, int page_size) {
  return open_journal(file, page_size, nullptr);
}

sqlite::Database open_journal_writer(const std::filesystem::path& file, int page_size) {
  auto db = open_journal(file, page_size, journal_writer_vfs());
  sqlite::Statement synchronous(db.get(), "PRAGMA synchronous");
  constexpr std::int64_t kFull = 2;
  if (synchronous.scalar() < kFull)
    throw std::logic_error("the journal's writer gathers WAL writes until the WAL is synced: it needs synchronous=FULL");
  return db;
}

bool stores_whole_payload_once(sqlite3* db) {
  sqlite::Statement version(db, "PRAGMA user_version");
  return version.scalar() >= kCompactLayoutVersion;
}

std::vector<std::string> route_destinations(sqlite3* db) {
  // Skips from one destination to the next on the (destination, sequence) key: a few seeks,
  // however many routes there are.
  sqlite::Statement next(db, "SELECT MIN(destination) FROM routes WHERE destination > ?1");
  std::vector<std::string> names;
  for (std::string after;;) {
    next.reset();
    next.bind(1, after);
    if (!next.next_row() || next.column_is_null(0)) break;
    after = next.column_text(0);
    names.push_back(after);
  }
  return names;
}

}  // namespace stagegate::bus
