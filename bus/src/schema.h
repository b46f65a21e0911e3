#pragma once
// One SQLite file holds the journal and the delivery state (consumers' positions, dead
// letters, replays), so a position can never point past what the journal holds.
#include <filesystem>
#include <string>
#include <vector>

#include "stagegate/bus/sqlite.h"

namespace stagegate::bus {

// Journals created from now on: pages of this size, the compact layout (schema.cpp).
inline constexpr int kJournalPageSize = 1024;

// Opens (creating file, directories and tables when missing) with WAL and synchronous=FULL.
// Throws std::runtime_error.
// `page_size` applies to a new file only; an existing one keeps its own.
sqlite::Database open_journal_database(const std::filesystem::path& file, int page_size = kJournalPageSize);

// The committer's connection: as above, its WAL writes gathered into one write per commit
// (journal_writer_vfs.h).
sqlite::Database open_journal_writer(const std::filesystem::path& file, int page_size);

inline constexpr int kCompactLayoutVersion = 4;

// True for the compact layout, whose routes hold NULL for "the journal's payload"; earlier
// journals keep a copy per destination (their column is NOT NULL).
bool stores_whole_payload_once(sqlite3* db);

// The destinations that have routes, by name.
std::vector<std::string> route_destinations(sqlite3* db);

}  // namespace stagegate::bus
