#pragma once
// One SQLite file holds the journal and the delivery state (consumers' positions, dead
// letters, replays), so a position can never point past what the journal holds.
#include <filesystem>

#include "stagegate/bus/sqlite.h"

namespace stagegate::bus {

// Opens (creating file, directories and tables when missing) with WAL and synchronous=FULL.
// Throws std::runtime_error.
sqlite::Database open_journal_database(const std::filesystem::path& file);

}  // namespace stagegate::bus
