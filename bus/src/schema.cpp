#include "schema.h"

namespace stagegate::bus {

sqlite::Database open_journal_database(const std::filesystem::path& file) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  auto db = sqlite::open(file.string());
  // WAL keeps readers (delivery) off the writers' path; FULL syncs the WAL on every commit,
  // which is what makes an SCSS001 reply a promise.
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
                        " UNIQUE(sender_id, message_id));"
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
                        "CREATE TABLE IF NOT EXISTS routes ("
                        " destination TEXT NOT NULL,"
                        " sequence INTEGER NOT NULL,"
                        " payload TEXT NOT NULL,"
                        " PRIMARY KEY(destination, sequence)) WITHOUT ROWID;"
                        "CREATE INDEX IF NOT EXISTS routes_by_sequence ON routes(sequence);");
  // Journals written before routing rules: each message went to its topic, whole.
  sqlite::Statement version(db.get(), "PRAGMA user_version");
  if (version.scalar() < 3)
    sqlite::exec_or_throw(db.get(),
                          "BEGIN IMMEDIATE;"
                          "INSERT OR IGNORE INTO routes(destination, sequence, payload)"
                          " SELECT topic, sequence, payload FROM journal;"
                          "PRAGMA user_version=3;"
                          "COMMIT;");
  return db;
}

}  // namespace stagegate::bus
