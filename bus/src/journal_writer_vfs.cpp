#include "journal_writer_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <new>
#include <vector>

namespace stagegate::bus {
namespace {

// The default (unix) VFS writes at most 128 KB - 1 in one call (seekAndWrite masks the
// length with 0x1ffff: a longer write would come back short, as SQLITE_FULL). A commit of a
// few messages fits; a larger one is written in as many calls as it takes.
constexpr std::size_t kMostGathered = 0x1ffff;

sqlite3_vfs* default_vfs = nullptr;

// Our part of a file, built in the memory SQLite gives xOpen (placement new; destroyed in
// xClose), with the default VFS's file after it (kRealFileAt).
struct Forwarded {
  sqlite3_file base{};
  sqlite3_file* real = nullptr;
};

struct WalFile {
  Forwarded forwarded;
  std::vector<char> gathered;
  sqlite3_int64 gathered_at = 0;
};

struct DatabaseFile {
  Forwarded forwarded;
  int advice_fd = -1;  // the same file read-only: the page cache is the file's, not the descriptor's
  std::vector<sqlite3_int64> payload_pages;  // offsets written since the last sync
  int page_bytes = 0;
};

constexpr std::size_t kRealFileAt = (std::max(sizeof(WalFile), sizeof(DatabaseFile)) + 15) / 16 * 16;

sqlite3_file* real_of(sqlite3_file* file) { return reinterpret_cast<Forwarded*>(file)->real; }
WalFile& wal_of(sqlite3_file* file) { return *reinterpret_cast<WalFile*>(file); }
DatabaseFile& database_of(sqlite3_file* file) { return *reinterpret_cast<DatabaseFile*>(file); }

// Shared by both kinds of file: what neither changes.
int forward_lock(sqlite3_file* file, int level) { return real_of(file)->pMethods->xLock(real_of(file), level); }
int forward_unlock(sqlite3_file* file, int level) { return real_of(file)->pMethods->xUnlock(real_of(file), level); }
int forward_check_lock(sqlite3_file* file, int* out) { return real_of(file)->pMethods->xCheckReservedLock(real_of(file), out); }
int forward_sector(sqlite3_file* file) { return real_of(file)->pMethods->xSectorSize(real_of(file)); }
int forward_characteristics(sqlite3_file* file) { return real_of(file)->pMethods->xDeviceCharacteristics(real_of(file)); }
int forward_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return real_of(file)->pMethods->xShmMap(real_of(file), region, size, extend, out);
}
int forward_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  return real_of(file)->pMethods->xShmLock(real_of(file), offset, n, flags);
}
void forward_shm_barrier(sqlite3_file* file) { real_of(file)->pMethods->xShmBarrier(real_of(file)); }
int forward_shm_unmap(sqlite3_file* file, int remove) { return real_of(file)->pMethods->xShmUnmap(real_of(file), remove); }
int forward_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  return real_of(file)->pMethods->xUnfetch(real_of(file), offset, page);
}
int forward_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  return real_of(file)->pMethods->xRead(real_of(file), out, amount, offset);
}
int forward_truncate(sqlite3_file* file, sqlite3_int64 size) { return real_of(file)->pMethods->xTruncate(real_of(file), size); }
int forward_size(sqlite3_file* file, sqlite3_int64* size) { return real_of(file)->pMethods->xFileSize(real_of(file), size); }
int forward_control(sqlite3_file* file, int op, void* arg) { return real_of(file)->pMethods->xFileControl(real_of(file), op, arg); }
int forward_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  return real_of(file)->pMethods->xFetch(real_of(file), offset, amount, out);
}

// --- The WAL: writes gathered until it is synced, read, measured or truncated.

int write_gathered(sqlite3_file* file) {
  auto& wal = wal_of(file);
  if (wal.gathered.empty()) return SQLITE_OK;
  const int rc = real_of(file)->pMethods->xWrite(real_of(file), wal.gathered.data(), static_cast<int>(wal.gathered.size()), wal.gathered_at);
  wal.gathered.clear();
  return rc;
}

int wal_close(sqlite3_file* file) {
  const int written = write_gathered(file);
  const int closed = real_of(file)->pMethods->xClose(real_of(file));
  wal_of(file).~WalFile();
  return written != SQLITE_OK ? written : closed;
}

int wal_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  if (const int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  return forward_read(file, out, amount, offset);
}

int wal_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  auto& wal = wal_of(file);
  auto& gathered = wal.gathered;
  const bool follows = !gathered.empty() && offset == wal.gathered_at + static_cast<sqlite3_int64>(gathered.size());
  if (!follows || gathered.size() + static_cast<std::size_t>(amount) > kMostGathered) {
    if (const int rc = write_gathered(file); rc != SQLITE_OK) return rc;
    wal.gathered_at = offset;
  }
  const auto* bytes = static_cast<const char*>(data);
  gathered.insert(gathered.end(), bytes, bytes + amount);
  return SQLITE_OK;
}

int wal_truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (const int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  return forward_truncate(file, size);
}

int wal_sync(sqlite3_file* file, int flags) {
  if (const int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  return real_of(file)->pMethods->xSync(real_of(file), flags);
}

int wal_size(sqlite3_file* file, sqlite3_int64* size) {
  if (const int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  return forward_size(file, size);
}

int wal_control(sqlite3_file* file, int op, void* arg) {
  if (const int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  return forward_control(file, op, arg);
}

int wal_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  if (const int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  return forward_fetch(file, offset, amount, out);
}

const sqlite3_io_methods kWalMethods{3,           wal_close,        wal_read,          wal_write,         wal_truncate,
                                     wal_sync,    wal_size,         forward_lock,      forward_unlock,    forward_check_lock,
                                     wal_control, forward_sector,   forward_characteristics, forward_shm_map, forward_shm_lock,
                                     forward_shm_barrier, forward_shm_unmap, wal_fetch, forward_unfetch};

// --- The database file: payload pages leave the page cache once a sync made them durable.

// The first byte of a b-tree page (sqlite.org/fileformat.html, 1.6): 2 interior index,
// 5 interior table, 10 leaf index, 13 leaf table; bytes 3-4 its number of cells. Journal rows
// are table leaves and their overflow pages (which start with the next overflow page's number,
// not a flag). Index pages are the unique (sender_id, message_id) keys, about 80 to a 4 KB
// page and read at random by the duplicate check, and the WITHOUT ROWID routes, whose copies
// for reduced destinations (0.5-1 KB each, whole records in interior pages too) fill a page
// with a few: those are payloads as well.
constexpr unsigned kFewestKeysOnAnIndexPage = 16;

bool holds_payload(const void* page) {
  const auto* bytes = static_cast<const unsigned char*>(page);
  const auto flag = bytes[0];
  if (flag == 0x05) return false;
  if (flag == 0x02 || flag == 0x0a) return (static_cast<unsigned>(bytes[3]) << 8 | bytes[4]) < kFewestKeysOnAnIndexPage;
  return true;
}

int database_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  const int rc = real_of(file)->pMethods->xWrite(real_of(file), data, amount, offset);
  auto& database = database_of(file);
  // Whole pages only, and never page 1 (the database header comes before its flag).
  if (rc == SQLITE_OK && database.advice_fd >= 0 && offset > 0 && amount >= 512 && offset % amount == 0 && holds_payload(data)) {
    database.payload_pages.push_back(offset);
    database.page_bytes = amount;
  }
  return rc;
}

// Advice, not a promise: a page being written back, mapped or locked stays, and a failure
// changes nothing SQLite relies on.
void release_payload_pages(DatabaseFile& database) {
  auto& pages = database.payload_pages;
  std::sort(pages.begin(), pages.end());
  const sqlite3_int64 page_bytes = database.page_bytes;
  for (std::size_t first = 0; first < pages.size();) {
    std::size_t last = first;
    while (last + 1 < pages.size() && pages[last + 1] <= pages[last] + page_bytes) ++last;
    ::posix_fadvise(database.advice_fd, static_cast<off_t>(pages[first]), static_cast<off_t>(pages[last] - pages[first] + page_bytes),
                    POSIX_FADV_DONTNEED);
    first = last + 1;
  }
  pages.clear();
}

int database_sync(sqlite3_file* file, int flags) {
  const int rc = real_of(file)->pMethods->xSync(real_of(file), flags);
  if (rc == SQLITE_OK) release_payload_pages(database_of(file));
  return rc;
}

int database_close(sqlite3_file* file) {
  const int closed = real_of(file)->pMethods->xClose(real_of(file));
  auto& database = database_of(file);
  if (database.advice_fd >= 0) ::close(database.advice_fd);
  database.~DatabaseFile();
  return closed;
}

const sqlite3_io_methods kDatabaseMethods{3,
                                          database_close,
                                          forward_read,
                                          database_write,
                                          forward_truncate,
                                          database_sync,
                                          forward_size,
                                          forward_lock,
                                          forward_unlock,
                                          forward_check_lock,
                                          forward_control,
                                          forward_sector,
                                          forward_characteristics,
                                          forward_shm_map,
                                          forward_shm_lock,
                                          forward_shm_barrier,
                                          forward_shm_unmap,
                                          forward_fetch,
                                          forward_unfetch};

template <typename File>
int open_wrapped(sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags, const sqlite3_io_methods& methods) {
  auto* ours = new (file) File{};
  ours->forwarded.real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealFileAt);
  const int rc = default_vfs->xOpen(default_vfs, name, ours->forwarded.real, flags, out_flags);
  if (rc != SQLITE_OK || !ours->forwarded.real->pMethods) {
    // SQLite calls xClose only when pMethods is set; the default VFS cleaned up after itself.
    ours->~File();
    file->pMethods = nullptr;
    return rc;
  }
  ours->forwarded.base.pMethods = &methods;
  return SQLITE_OK;
}

int open_file(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  if (flags & SQLITE_OPEN_WAL) return open_wrapped<WalFile>(name, file, flags, out_flags, kWalMethods);
  if ((flags & SQLITE_OPEN_MAIN_DB) && name) {
    const int rc = open_wrapped<DatabaseFile>(name, file, flags, out_flags, kDatabaseMethods);
    if (rc == SQLITE_OK) database_of(file).advice_fd = ::open(name, O_RDONLY | O_CLOEXEC);
    return rc;
  }
  // Everything else (the shared memory is the database file's) is the default VFS's file, in
  // place: no call goes through here.
  return default_vfs->xOpen(default_vfs, name, file, flags, out_flags);
}

int delete_file(sqlite3_vfs*, const char* name, int sync) { return default_vfs->xDelete(default_vfs, name, sync); }
int access(sqlite3_vfs*, const char* name, int flags, int* out) { return default_vfs->xAccess(default_vfs, name, flags, out); }
int full_path(sqlite3_vfs*, const char* name, int size, char* out) { return default_vfs->xFullPathname(default_vfs, name, size, out); }
void* dl_open(sqlite3_vfs*, const char* name) { return default_vfs->xDlOpen(default_vfs, name); }
void dl_error(sqlite3_vfs*, int size, char* out) { default_vfs->xDlError(default_vfs, size, out); }
void (*dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) { return default_vfs->xDlSym(default_vfs, handle, symbol); }
void dl_close(sqlite3_vfs*, void* handle) { default_vfs->xDlClose(default_vfs, handle); }
int randomness(sqlite3_vfs*, int size, char* out) { return default_vfs->xRandomness(default_vfs, size, out); }
int sleep_for(sqlite3_vfs*, int micros) { return default_vfs->xSleep(default_vfs, micros); }
int current_time(sqlite3_vfs*, double* out) { return default_vfs->xCurrentTime(default_vfs, out); }
int last_error(sqlite3_vfs*, int size, char* out) { return default_vfs->xGetLastError(default_vfs, size, out); }
int current_time64(sqlite3_vfs*, sqlite3_int64* out) { return default_vfs->xCurrentTimeInt64(default_vfs, out); }

constexpr const char* kName = "stagegate-journal-writer";
sqlite3_vfs writer_vfs;

}  // namespace

const char* journal_writer_vfs() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    default_vfs = sqlite3_vfs_find(nullptr);
    writer_vfs = sqlite3_vfs{2,
                                 static_cast<int>(kRealFileAt) + default_vfs->szOsFile,
                                 default_vfs->mxPathname,
                                 nullptr,
                                 kName,
                                 nullptr,
                                 open_file,
                                 delete_file,
                                 access,
                                 full_path,
                                 dl_open,
                                 dl_error,
                                 dl_sym,
                                 dl_close,
                                 randomness,
                                 sleep_for,
                                 current_time,
                                 last_error,
                                 current_time64,
                                 nullptr,
                                 nullptr,
                                 nullptr};
    sqlite3_vfs_register(&writer_vfs, 0);
  });
  return kName;
}

}  // namespace stagegate::bus
