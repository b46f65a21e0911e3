#pragma once
// A VFS over SQLite's default one that gathers a transaction's writes to the WAL and hands
// them to the file system in one call when the WAL is synced. SQLite writes every WAL frame
// as two writes (the 24-byte frame header, then the page): a group commit of a few messages
// was 70-80 pwrite64 calls, each with the file system's per-call work, for one fdatasync.
//
// Durability is unchanged: SQLite promises nothing about a frame before it syncs the WAL, and
// the sync (xSync) writes everything gathered before it syncs; a commit becomes visible to
// readers (the wal-index) only after that sync. A process that dies before the sync loses
// frames of a transaction that was never committed, which SQLite's WAL recovery discards as
// it would discard a torn write. Reads, size queries and truncation of the WAL write what is
// gathered first, so the file is always what SQLite's own sequence of writes made it.
// Files other than the WAL (the database, its shared memory) are the default VFS's own.
//
// Only for connections with synchronous=FULL or EXTRA: with NORMAL, SQLite does not sync the
// WAL at a commit, and other connections would see a commit whose frames are still gathered
// here. open_journal_writer() checks it.

namespace stagegate::bus {

// The name to pass to sqlite3_open_v2; registered (not as the default) on first use.
const char* wal_coalescing_vfs();

}  // namespace stagegate::bus
