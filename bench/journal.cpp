// Durable appends per second to the journal (SQLite WAL, synchronous=FULL, group commit)
// at 1, 8 and 64 concurrent writers, and what each append costs the disk: bytes written to
// the WAL, writes and syncs per message, counted by a VFS shim under SQLite. Two layouts in
// one run: a journal created by the schema of user_version 3 (raw SQL, as files written
// before the compact layout are) and a new journal. Each append returns only when on disk.
// A message is a stage notification as routed by the built-in rules: three destinations,
// monitoring sees the whole payload, knowledge_base and notification reduced copies; the
// messageIds are random UUIDs, as providers send them.
// usage: bench_journal [appends per writer count=4000] [writers=1,8,64]
#include <sqlite3.h>

#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "stagegate/bus/journal.h"
#include "stagegate/bus/sqlite.h"
#include "support/temp_dir.h"

using namespace stagegate;
using Clock = std::chrono::steady_clock;

namespace {

// --- A VFS that forwards to the default one and counts writes and syncs per file kind. ---

struct Counters {
  std::atomic<std::uint64_t> wal_bytes{0}, wal_writes{0}, db_bytes{0}, db_writes{0}, syncs{0}, reads{0};
};
Counters counters;
sqlite3_vfs* real_vfs = nullptr;

struct CountingFile {
  sqlite3_file base;
  sqlite3_file* real;
  bool wal;
};

sqlite3_file* real_of(sqlite3_file* file) { return reinterpret_cast<CountingFile*>(file)->real; }

int count_close(sqlite3_file* f) { return real_of(f)->pMethods->xClose(real_of(f)); }
int count_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  ++counters.reads;
  return real_of(f)->pMethods->xRead(real_of(f), out, amount, offset);
}
int count_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  const bool wal = reinterpret_cast<CountingFile*>(f)->wal;
  (wal ? counters.wal_bytes : counters.db_bytes) += static_cast<std::uint64_t>(amount);
  ++(wal ? counters.wal_writes : counters.db_writes);
  return real_of(f)->pMethods->xWrite(real_of(f), data, amount, offset);
}
int count_truncate(sqlite3_file* f, sqlite3_int64 size) { return real_of(f)->pMethods->xTruncate(real_of(f), size); }
int count_sync(sqlite3_file* f, int flags) {
  ++counters.syncs;
  return real_of(f)->pMethods->xSync(real_of(f), flags);
}
int count_size(sqlite3_file* f, sqlite3_int64* size) { return real_of(f)->pMethods->xFileSize(real_of(f), size); }
int count_lock(sqlite3_file* f, int level) { return real_of(f)->pMethods->xLock(real_of(f), level); }
int count_unlock(sqlite3_file* f, int level) { return real_of(f)->pMethods->xUnlock(real_of(f), level); }
int count_check_lock(sqlite3_file* f, int* out) { return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out); }
int count_control(sqlite3_file* f, int op, void* arg) { return real_of(f)->pMethods->xFileControl(real_of(f), op, arg); }
int count_sector(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int count_characteristics(sqlite3_file* f) { return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f)); }
int count_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real_of(f)->pMethods->xShmMap(real_of(f), region, size, extend, out);
}
int count_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void count_shm_barrier(sqlite3_file* f) { real_of(f)->pMethods->xShmBarrier(real_of(f)); }
int count_shm_unmap(sqlite3_file* f, int remove) { return real_of(f)->pMethods->xShmUnmap(real_of(f), remove); }
int count_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  return real_of(f)->pMethods->xFetch(real_of(f), offset, amount, out);
}
int count_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* page) {
  return real_of(f)->pMethods->xUnfetch(real_of(f), offset, page);
}

const sqlite3_io_methods counting_methods{3,
                                          count_close,
                                          count_read,
                                          count_write,
                                          count_truncate,
                                          count_sync,
                                          count_size,
                                          count_lock,
                                          count_unlock,
                                          count_check_lock,
                                          count_control,
                                          count_sector,
                                          count_characteristics,
                                          count_shm_map,
                                          count_shm_lock,
                                          count_shm_barrier,
                                          count_shm_unmap,
                                          count_fetch,
                                          count_unfetch};

int count_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* counting = reinterpret_cast<CountingFile*>(file);
  counting->real = reinterpret_cast<sqlite3_file*>(counting + 1);
  counting->wal = (flags & SQLITE_OPEN_WAL) != 0;
  const int rc = real_vfs->xOpen(real_vfs, name, counting->real, flags, out_flags);
  counting->base.pMethods = counting->real->pMethods ? &counting_methods : nullptr;
  return rc;
}
int count_delete(sqlite3_vfs*, const char* name, int sync) { return real_vfs->xDelete(real_vfs, name, sync); }
int count_access(sqlite3_vfs*, const char* name, int flags, int* out) { return real_vfs->xAccess(real_vfs, name, flags, out); }
int count_full_path(sqlite3_vfs*, const char* name, int size, char* out) {
  return real_vfs->xFullPathname(real_vfs, name, size, out);
}
void* count_dl_open(sqlite3_vfs*, const char* name) { return real_vfs->xDlOpen(real_vfs, name); }
void count_dl_error(sqlite3_vfs*, int size, char* out) { real_vfs->xDlError(real_vfs, size, out); }
void (*count_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) { return real_vfs->xDlSym(real_vfs, handle, symbol); }
void count_dl_close(sqlite3_vfs*, void* handle) { real_vfs->xDlClose(real_vfs, handle); }
int count_randomness(sqlite3_vfs*, int size, char* out) { return real_vfs->xRandomness(real_vfs, size, out); }
int count_sleep(sqlite3_vfs*, int micros) { return real_vfs->xSleep(real_vfs, micros); }
int count_time(sqlite3_vfs*, double* out) { return real_vfs->xCurrentTime(real_vfs, out); }
int count_last_error(sqlite3_vfs*, int size, char* out) { return real_vfs->xGetLastError(real_vfs, size, out); }
int count_time64(sqlite3_vfs*, sqlite3_int64* out) { return real_vfs->xCurrentTimeInt64(real_vfs, out); }

// Registered as the default VFS for the whole run (every connection the journal opens).
sqlite3_vfs counting_vfs;
void register_counting_vfs() {
  real_vfs = sqlite3_vfs_find(nullptr);
  counting_vfs = sqlite3_vfs{2,
                             static_cast<int>(sizeof(CountingFile)) + real_vfs->szOsFile,
                             real_vfs->mxPathname,
                             nullptr,
                             "counting",
                             nullptr,
                             count_open,
                             count_delete,
                             count_access,
                             count_full_path,
                             count_dl_open,
                             count_dl_error,
                             count_dl_sym,
                             count_dl_close,
                             count_randomness,
                             count_sleep,
                             count_time,
                             count_last_error,
                             count_time64,
                             nullptr,
                             nullptr,
                             nullptr};
  sqlite3_vfs_register(&counting_vfs, 1);
}

// --- The two layouts. ---

// The schema of user_version 3, as journals written before the compact layout hold it.
void create_user_version_3(const std::filesystem::path& file) {
  sqlite3* raw = nullptr;
  sqlite3_open(file.c_str(), &raw);
  bus::sqlite::Database db(raw);
  bus::sqlite::exec_or_throw(db.get(),
                             "PRAGMA journal_mode=WAL;"
                             "CREATE TABLE journal (sequence INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL,"
                             " sender_id TEXT NOT NULL, message_id TEXT NOT NULL, service_id TEXT NOT NULL, topic TEXT NOT NULL,"
                             " payload TEXT NOT NULL, document TEXT NOT NULL, UNIQUE(sender_id, message_id));"
                             "CREATE TABLE routes (destination TEXT NOT NULL, sequence INTEGER NOT NULL, payload TEXT NOT NULL,"
                             " PRIMARY KEY(destination, sequence)) WITHOUT ROWID;"
                             "CREATE INDEX routes_by_sequence ON routes(sequence);"
                             "PRAGMA user_version=3;");
}

double thread_cpu_micros() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) / 1e3;
}

std::string random_uuid(std::mt19937_64& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) id += '-';
    id += kHex[random() & 15];
  }
  return id;
}

}  // namespace

int main(int argc, char** argv) {
  const int appends = argc > 1 ? std::atoi(argv[1]) : 4000;
  std::vector<int> writer_counts{1, 8, 64};
  if (argc > 2) {
    writer_counts.clear();
    std::stringstream list(argv[2]);
    for (std::string item; std::getline(list, item, ',');) writer_counts.push_back(std::stoi(item));
  }
  register_counting_vfs();
  const std::string payload(900, 'p');        // a normalized stage notification is about this size
  const std::string kb_payload(820, 'k');     // the knowledge base's copy, without names
  const std::string notice_payload(480, 'n');  // the notification's reduced copy
  const std::string document(3400, 'd');      // and the signed document about this
  std::mt19937_64 random(13);
  std::vector<std::string> message_ids;
  for (int i = 0; i < appends; ++i) message_ids.push_back(random_uuid(random));

  test::TempDir dir("stagegate-bench-journal");
  std::printf("journal: %d durable appends per row (%zu-byte payload + %zu-byte document, routed to 3 destinations: "
              "whole, %zu and %zu bytes), random UUID messageIds, SQLite WAL, synchronous=FULL, %u cores, %s\n",
              appends, payload.size(), document.size(), kb_payload.size(), notice_payload.size(),
              std::thread::hardware_concurrency(), dir.path().c_str());
  std::printf("%-22s %7s %10s %10s %12s %10s %10s %10s\n", "layout", "writers", "appends/s", "us/append", "WAL B/msg",
              "writes/msg", "syncs/msg", "db B/msg");
  struct Layout {
    std::string name;
    bool user_version_3;
    std::size_t page_size;
  };
  const std::vector<Layout> layouts{{"user_version 3 (old)", true, 4096},
                                    {"new, 4 KB (default)", false, 4096},
                                    {"new, 2 KB pages", false, 2048},
                                    {"new, 1 KB pages", false, 1024}};
  struct ReadFigure {
    std::string layout;
    int writers;
    std::string what;
    double cpu_micros, file_reads;
    std::size_t entries;
  };
  std::vector<ReadFigure> reads;
  for (const auto& layout : layouts) {
    for (const int writers : writer_counts) {
      const auto file = dir / ((layout.user_version_3 ? "v3-" : "new-") + std::to_string(layout.page_size) + "-" +
                               std::to_string(writers) + ".db");
      if (layout.user_version_3) create_user_version_3(file);
      bus::JournalOptions options;
      options.page_size = layout.page_size;
      auto journal = bus::Journal::open(file, options);
      const std::uint64_t wal_bytes = counters.wal_bytes, writes = counters.wal_writes + counters.db_writes,
                          syncs = counters.syncs, db_bytes = counters.db_bytes;
      std::atomic<int> next{0};
      std::atomic<int> failures{0};
      const auto start = Clock::now();
      std::vector<std::thread> threads;
      for (int w = 0; w < writers; ++w)
        threads.emplace_back([&] {
          for (int i; (i = next.fetch_add(1)) < appends;)
            if (!journal.append(bus::JournalInput{"akimat", message_ids[static_cast<std::size_t>(i)], "STAGE_NOTIFICATION",
                                                  "stage", payload, document,
                                                  {{"monitoring", payload}, {"knowledge_base", kb_payload},
                                                   {"notification", notice_payload}}}))
              failures.fetch_add(1);
        });
      for (auto& thread : threads) thread.join();
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      const double rate = appends / seconds;
      const auto per_message = [&](std::uint64_t now, std::uint64_t before) {
        return static_cast<double>(now - before) / appends;
      };
      std::printf("%-22s %7d %10.0f %10.1f %12.0f %10.1f %10.2f %10.0f%s\n",
                  layout.name.c_str(), writers, rate, 1e6 / rate,
                  per_message(counters.wal_bytes, wal_bytes), per_message(counters.wal_writes + counters.db_writes, writes),
                  per_message(counters.syncs, syncs), per_message(counters.db_bytes, db_bytes),
                  failures.load() ? "  FAILURES" : "");
      // Delivery's read: the next page of 64 from the middle, per destination and whole.
      // CPU time of this thread and file reads under SQLite's cache, steadier than wall time.
      for (const auto& destinations : {std::vector<std::string>{"knowledge_base"}, std::vector<std::string>{}}) {
        constexpr int kReads = 200;
        const std::uint64_t reads_before = counters.reads;
        const double cpu_before = thread_cpu_micros();
        std::size_t read = 0;
        for (int i = 0; i < kReads; ++i) read += journal.read_after(static_cast<std::uint64_t>(appends / 2), 64, destinations).size();
        reads.push_back({layout.name, writers, destinations.empty() ? "whole" : destinations.front(),
                         (thread_cpu_micros() - cpu_before) / kReads,
                         static_cast<double>(counters.reads - reads_before) / kReads, read / kReads});
      }
    }
  }
  std::printf("\ndelivery read: a page of 64 after the middle of each journal, 200 reads\n");
  std::printf("%-22s %7s %-16s %12s %12s %8s\n", "layout", "writers", "read", "cpu us/page", "reads/page", "entries");
  for (const auto& row : reads)
    std::printf("%-22s %7d %-16s %12.1f %12.1f %8zu\n", row.layout.c_str(), row.writers,
                row.what.c_str(), row.cpu_micros, row.file_reads, row.entries);
  return 0;
}
