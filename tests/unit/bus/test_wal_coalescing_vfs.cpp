// The journal's writer gathers a commit's WAL writes into one write call; what SQLite reads,
// other connections see and a reopened file holds is what the plain VFS would have written.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>

#include "stagegate/bus/sqlite.h"
#include "support/temp_dir.h"
#include "wal_coalescing_vfs.h"

using namespace stagegate;

namespace {

// This process's write-family system calls so far (/proc/self/io syscw).
long write_calls() {
  std::ifstream io("/proc/self/io");
  std::string key;
  long value = 0;
  while (io >> key >> value)
    if (key == "syscw:") return value;
  return -1;
}

bus::sqlite::Database open_wal(const std::filesystem::path& file, const char* vfs) {
  auto db = bus::sqlite::open(file.string(), vfs);
  bus::sqlite::exec_or_throw(db.get(), "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=0");
  bus::sqlite::exec_or_throw(db.get(), "CREATE TABLE IF NOT EXISTS t (n INTEGER PRIMARY KEY, blob TEXT NOT NULL)");
  return db;
}

// One transaction of `rows` rows of 3 KB each; returns the write calls it took.
long insert_rows(sqlite3* db, int first, int rows) {
  const long before = write_calls();
  bus::sqlite::exec_or_throw(db, "BEGIN IMMEDIATE");
  bus::sqlite::Statement insert(db, "INSERT INTO t(n, blob) VALUES (?1, ?2)");
  for (int n = first; n < first + rows; ++n) {
    insert.reset();
    insert.bind(1, static_cast<std::int64_t>(n));
    insert.bind(2, std::string(3000, static_cast<char>('a' + n % 26)));
    BOOST_REQUIRE(insert.step() == SQLITE_DONE);
  }
  insert.reset();
  bus::sqlite::exec_or_throw(db, "COMMIT");
  return write_calls() - before;
}

std::int64_t count_rows(sqlite3* db) {
  bus::sqlite::Statement count(db, "SELECT COUNT(*) FROM t WHERE length(blob) = 3000 AND substr(blob, 1, 1) = char(97 + n % 26)");
  return count.scalar();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wal_coalescing_vfs)

BOOST_AUTO_TEST_CASE(a_commit_of_many_frames_is_a_few_write_calls) {
  test::TempDir dir;
  auto plain = open_wal(dir.path() / "plain.db", nullptr);
  auto gathered = open_wal(dir.path() / "gathered.db", bus::wal_coalescing_vfs());
  insert_rows(plain.get(), 0, 1);  // the WAL header and schema first
  insert_rows(gathered.get(), 0, 1);
  const long plain_calls = insert_rows(plain.get(), 1, 20);
  const long gathered_calls = insert_rows(gathered.get(), 1, 20);
  // 20 rows of 3 KB are about 20 pages: the plain VFS writes each frame as a header and a page.
  BOOST_TEST(plain_calls >= 40);
  BOOST_TEST(gathered_calls <= 3, gathered_calls << " write calls for one commit");
}

BOOST_AUTO_TEST_CASE(a_commit_larger_than_one_write_call_takes_is_whole) {
  test::TempDir dir;
  const auto file = dir.path() / "large.db";
  {
    auto writer = open_wal(file, bus::wal_coalescing_vfs());
    // About 1.2 MB in one transaction, ten times what the default VFS writes in one call.
    insert_rows(writer.get(), 0, 400);
    // Another connection with the default VFS sees the commit as soon as it returns.
    auto reader = bus::sqlite::open(file.string());
    BOOST_TEST(count_rows(reader.get()) == 400);
    insert_rows(writer.get(), 400, 3);
    BOOST_TEST(count_rows(reader.get()) == 403);
  }
  auto reopened = bus::sqlite::open(file.string());
  BOOST_TEST(count_rows(reopened.get()) == 403);
}

BOOST_AUTO_TEST_CASE(pages_spilled_within_a_transaction_are_read_back_as_written) {
  test::TempDir dir;
  const auto file = dir.path() / "spill.db";
  auto writer = open_wal(file, bus::wal_coalescing_vfs());
  // A page cache of a few pages: SQLite writes pages of the open transaction to the WAL and
  // reads them back from it before the commit.
  bus::sqlite::exec_or_throw(writer.get(), "PRAGMA cache_size=5");
  bus::sqlite::exec_or_throw(writer.get(), "BEGIN IMMEDIATE");
  bus::sqlite::Statement insert(writer.get(), "INSERT INTO t(n, blob) VALUES (?1, ?2)");
  for (int n = 0; n < 300; ++n) {
    insert.reset();
    insert.bind(1, static_cast<std::int64_t>(n));
    insert.bind(2, std::string(3000, static_cast<char>('a' + n % 26)));
    BOOST_REQUIRE(insert.step() == SQLITE_DONE);
  }
  insert.reset();
  BOOST_TEST(count_rows(writer.get()) == 300);  // inside the transaction
  bus::sqlite::exec_or_throw(writer.get(), "UPDATE t SET blob = upper(blob) WHERE n % 2 = 0");
  bus::sqlite::exec_or_throw(writer.get(), "COMMIT");
  bus::sqlite::exec_or_throw(writer.get(), "PRAGMA wal_checkpoint(TRUNCATE)");
  auto reader = bus::sqlite::open(file.string());
  bus::sqlite::Statement odd(reader.get(), "SELECT COUNT(*) FROM t WHERE n % 2 = 1 AND blob = lower(blob)");
  bus::sqlite::Statement even(reader.get(), "SELECT COUNT(*) FROM t WHERE n % 2 = 0 AND blob = upper(blob)");
  BOOST_TEST(odd.scalar() == 150);
  BOOST_TEST(even.scalar() == 150);
}

BOOST_AUTO_TEST_SUITE_END()
