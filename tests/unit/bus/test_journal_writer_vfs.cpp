// The journal's writer gathers a commit's WAL writes into one write call, and lets the
// payload pages a checkpoint wrote leave the page cache; what SQLite reads, other connections
// see and a reopened file holds is what the plain VFS would have written.
#include <boost/test/unit_test.hpp>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "stagegate/bus/sqlite.h"
#include "support/temp_dir.h"
#include "journal_writer_vfs.h"

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

struct Residency {
  int payload_pages = 0;
  int payload_cached = 0;
  int copies_pages = 0;  // index pages of a few large entries (payload copies), part of payload_pages
  int copies_cached = 0;
  int index_pages = 0;
  int index_cached = 0;
};

// Which of the file's pages the page cache holds (mincore on a mapping, which asks without
// reading), by kind: index pages of many keys (interior, flag 2, or leaves, flag 10, with 16
// cells or more) against the rest but page 1 and table interiors (flag 5). Index pages of a
// few large entries are the copies.
Residency residency(const std::filesystem::path& file, std::size_t page_bytes) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  BOOST_REQUIRE(fd >= 0);
  const auto size = static_cast<std::size_t>(std::filesystem::file_size(file));
  void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  BOOST_REQUIRE(mapped != MAP_FAILED);
  const auto system_page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> cached((size + system_page - 1) / system_page);
  BOOST_REQUIRE(::mincore(mapped, size, cached.data()) == 0);
  ::munmap(mapped, size);
  Residency counted;
  std::vector<char> page(page_bytes);
  for (std::size_t offset = page_bytes; offset + page_bytes <= size; offset += page_bytes) {
    BOOST_REQUIRE(::pread(fd, page.data(), page_bytes, static_cast<off_t>(offset)) == static_cast<ssize_t>(page_bytes));
    const bool in_cache = (cached[offset / system_page] & 1) != 0;
    const auto flag = static_cast<unsigned char>(page[0]);
    const unsigned cells = static_cast<unsigned char>(page[3]) << 8 | static_cast<unsigned char>(page[4]);
    if ((flag == 0x02 || flag == 0x0a) && cells >= 16) {
      ++counted.index_pages;
      counted.index_cached += in_cache;
    } else if (flag != 0x05) {
      ++counted.payload_pages;
      counted.payload_cached += in_cache;
      if (flag == 0x02 || flag == 0x0a) {
        ++counted.copies_pages;
        counted.copies_cached += in_cache;
      }
    }
  }
  ::close(fd);
  return counted;
}

// Rows like the journal's: a payload larger than a page and a random unique key, and like its
// routes: a WITHOUT ROWID table of copies for two destinations.
Residency write_and_checkpoint(const std::filesystem::path& file, const char* vfs) {
  auto db = open_wal(file, vfs);
  bus::sqlite::exec_or_throw(db.get(), "CREATE TABLE keyed (n INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, payload TEXT NOT NULL)");
  bus::sqlite::exec_or_throw(db.get(),
                             "CREATE TABLE copies (destination TEXT NOT NULL, n INTEGER NOT NULL, payload TEXT,"
                             " PRIMARY KEY(destination, n)) WITHOUT ROWID");
  for (int batch = 0; batch < 10; ++batch) {
    bus::sqlite::exec_or_throw(db.get(), "BEGIN IMMEDIATE");
    bus::sqlite::Statement insert(db.get(), "INSERT INTO keyed(key, payload) VALUES (hex(randomblob(16)), ?1)");
    for (int row = 0; row < 100; ++row) {
      insert.reset();
      insert.bind(1, std::string(5600, static_cast<char>('a' + row % 26)));
      BOOST_REQUIRE(insert.step() == SQLITE_DONE);
      bus::sqlite::exec_or_throw(db.get(), "INSERT INTO copies SELECT 'knowledge_base', last_insert_rowid(), printf('%.820c', 'k')");
      bus::sqlite::exec_or_throw(db.get(), "INSERT INTO copies SELECT 'notification', last_insert_rowid(), printf('%.480c', 'n')");
    }
    insert.reset();
    bus::sqlite::exec_or_throw(db.get(), "COMMIT");
  }
  bus::sqlite::exec_or_throw(db.get(), "PRAGMA wal_checkpoint(TRUNCATE)");
  bus::sqlite::Statement page_size(db.get(), "PRAGMA page_size");
  return residency(file, static_cast<std::size_t>(page_size.scalar()));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(journal_writer_vfs)

BOOST_AUTO_TEST_CASE(a_commit_of_many_frames_is_a_few_write_calls) {
  test::TempDir dir;
  auto plain = open_wal(dir.path() / "plain.db", nullptr);
  auto gathered = open_wal(dir.path() / "gathered.db", bus::journal_writer_vfs());
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
    auto writer = open_wal(file, bus::journal_writer_vfs());
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
  auto writer = open_wal(file, bus::journal_writer_vfs());
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

BOOST_AUTO_TEST_CASE(payload_pages_leave_the_page_cache_after_a_checkpoint_and_index_pages_stay) {
  test::TempDir dir;
  struct statfs filesystem {};
  BOOST_REQUIRE(::statfs(dir.path().c_str(), &filesystem) == 0);
  if (filesystem.f_type == TMPFS_MAGIC) {
    BOOST_TEST_MESSAGE("skipped: on tmpfs the page cache is the storage");
    return;
  }
  const auto plain = write_and_checkpoint(dir.path() / "plain.db", nullptr);
  const auto released = write_and_checkpoint(dir.path() / "released.db", bus::journal_writer_vfs());
  BOOST_TEST_MESSAGE("plain: " << plain.payload_cached << "/" << plain.payload_pages << " payload (" << plain.copies_pages << " of copies) and " << plain.index_cached << "/"
                                << plain.index_pages << " index pages cached; released: " << released.payload_cached << "/"
                                << released.payload_pages << " and " << released.index_cached << "/" << released.index_pages);
  // 1000 rows of 5.6 KB: a table leaf share and an overflow page each; 1.3 MB of copies.
  BOOST_TEST(released.payload_pages >= 1000);
  BOOST_TEST(released.copies_pages >= 300);
  BOOST_TEST(released.index_pages >= 5);  // about 11 leaves of 1000 random keys and their parent
  // The plain VFS leaves everything it wrote cached (which also shows mincore sees it here).
  BOOST_TEST(plain.payload_cached >= plain.payload_pages * 9 / 10);
  BOOST_TEST(released.copies_cached <= released.copies_pages / 20,
             released.copies_cached << " of " << released.copies_pages << " pages of copies still cached");
  BOOST_TEST(released.payload_cached <= released.payload_pages / 20,
             released.payload_cached << " of " << released.payload_pages << " payload pages still cached");
  BOOST_TEST(released.index_cached >= released.index_pages * 9 / 10,
             released.index_cached << " of " << released.index_pages << " index pages cached");
  // Nothing is lost: another connection reads every row back, from the disk.
  auto reader = bus::sqlite::open((dir.path() / "released.db").string());
  bus::sqlite::Statement rows(reader.get(), "SELECT COUNT(*) FROM keyed WHERE length(payload) = 5600 AND length(key) = 32");
  BOOST_TEST(rows.scalar() == 1000);
  bus::sqlite::Statement copies(reader.get(), "SELECT COUNT(*) FROM copies WHERE length(payload) IN (820, 480)");
  BOOST_TEST(copies.scalar() == 2000);
}

BOOST_AUTO_TEST_SUITE_END()
