#include "wal_coalescing_vfs.h"

#include <sqlite3.h>

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

// Built in the memory SQLite gives xOpen (placement new; destroyed in xClose), with the
// default VFS's file right after it.
struct WalFile {
  sqlite3_file base{};
  sqlite3_file* real = nullptr;
  std::vector<char> gathered;
  sqlite3_int64 gathered_at = 0;
};

WalFile& wal_of(sqlite3_file* file) { return *reinterpret_cast<WalFile*>(file); }
sqlite3_file* real_of(sqlite3_file* file) { return wal_of(file).real; }

int write_gathered(sqlite3_file* file) {
  auto& wal = wal_of(file);
  if (wal.gathered.empty()) return SQLITE_OK;
  const int rc = wal.real->pMethods->xWrite(wal.real, wal.gathered.data(), static_cast<int>(wal.gathered.size()), wal.gathered_at);
  wal.gathered.clear();
  return rc;
}

int wal_close(sqlite3_file* file) {
  const int written = write_gathered(file);
  auto& wal = wal_of(file);
  const int closed = wal.real->pMethods->xClose(wal.real);
  wal.~WalFile();
  return written != SQLITE_OK ? written : closed;
}

int wal_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  if (const int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  return real_of(file)->pMethods->xRead(real_of(file), out, amount, offset);
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
  return real_of(file)->pMethods->xTruncate(real_of(file), size);
}

int wal_sync(sqlite3_file* file, int flags) {
  if (const int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  return real_of(file)->pMethods->xSync(real_of(file), flags);
}

int wal_size(sqlite3_file* file, sqlite3_int64* size) {
  if (const int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  return real_of(file)->pMethods->xFileSize(real_of(file), size);
}

int wal_lock(sqlite3_file* file, int level) { return real_of(file)->pMethods->xLock(real_of(file), level); }
int wal_unlock(sqlite3_file* file, int level) { return real_of(file)->pMethods->xUnlock(real_of(file), level); }
int wal_check_lock(sqlite3_file* file, int* out) { return real_of(file)->pMethods->xCheckReservedLock(real_of(file), out); }
int wal_control(sqlite3_file* file, int op, void* arg) {
  if (const int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  return real_of(file)->pMethods->xFileControl(real_of(file), op, arg);
}
int wal_sector(sqlite3_file* file) { return real_of(file)->pMethods->xSectorSize(real_of(file)); }
int wal_characteristics(sqlite3_file* file) { return real_of(file)->pMethods->xDeviceCharacteristics(real_of(file)); }
int wal_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return real_of(file)->pMethods->xShmMap(real_of(file), region, size, extend, out);
}
int wal_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  return real_of(file)->pMethods->xShmLock(real_of(file), offset, n, flags);
}
void wal_shm_barrier(sqlite3_file* file) { real_of(file)->pMethods->xShmBarrier(real_of(file)); }
int wal_shm_unmap(sqlite3_file* file, int remove) { return real_of(file)->pMethods->xShmUnmap(real_of(file), remove); }
int wal_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  if (const int rc = write_gathered(file); rc != SQLITE_OK) return rc;
  return real_of(file)->pMethods->xFetch(real_of(file), offset, amount, out);
}
int wal_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  return real_of(file)->pMethods->xUnfetch(real_of(file), offset, page);
}

const sqlite3_io_methods kWalMethods{3,           wal_close,      wal_read,       wal_write,         wal_truncate,
                                     wal_sync,    wal_size,       wal_lock,       wal_unlock,        wal_check_lock,
                                     wal_control, wal_sector,     wal_characteristics, wal_shm_map, wal_shm_lock,
                                     wal_shm_barrier, wal_shm_unmap, wal_fetch, wal_unfetch};

int open_file(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  // Everything but the WAL is the default VFS's file, in place: no call goes through here.
  if (!(flags & SQLITE_OPEN_WAL)) return default_vfs->xOpen(default_vfs, name, file, flags, out_flags);
  auto* wal = new (file) WalFile{};
  wal->real = reinterpret_cast<sqlite3_file*>(wal + 1);
  const int rc = default_vfs->xOpen(default_vfs, name, wal->real, flags, out_flags);
  if (rc != SQLITE_OK || !wal->real->pMethods) {
    // SQLite calls xClose only when pMethods is set; the default VFS cleaned up after itself.
    wal->~WalFile();
    file->pMethods = nullptr;
    return rc;
  }
  wal->base.pMethods = &kWalMethods;
  return SQLITE_OK;
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

constexpr const char* kName = "stagegate-wal-coalescing";
sqlite3_vfs coalescing_vfs;

}  // namespace

const char* wal_coalescing_vfs() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    default_vfs = sqlite3_vfs_find(nullptr);
    coalescing_vfs = sqlite3_vfs{2,
                                 static_cast<int>(sizeof(WalFile)) + default_vfs->szOsFile,
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
    sqlite3_vfs_register(&coalescing_vfs, 0);
  });
  return kName;
}

}  // namespace stagegate::bus
