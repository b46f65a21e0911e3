#pragma once
// The journal writer's VFS: SQLite's default one with two changes, both invisible to what
// SQLite reads and other connections see.
//
// 1. The WAL: a transaction's writes are gathered and handed to the file system in one call
// when the WAL is synced. SQLite writes every WAL frame as two writes (the 24-byte frame
// header, then the page): a group commit of a few messages was 70-80 pwrite64 calls, each with
// the file system's per-call work, for one fdatasync. Durability is unchanged: SQLite promises
// nothing about a frame before it syncs the WAL, and the sync (xSync) writes everything
// gathered before it syncs; a commit becomes visible to readers (the wal-index) only after
// that sync. A process that dies before the sync loses frames of a transaction that was never
// committed, which SQLite's WAL recovery discards as it would discard a torn write. Reads, size
// queries and truncation of the WAL write what is gathered first, so the file is always what
// SQLite's own sequence of writes made it.
//
// 2. The database file: once a checkpoint has synced it, the pages it copied that hold
// payloads (table leaves and overflow pages: journal rows; index leaves of a few large
// entries: the routes' copies for reduced destinations) leave the operating system's page
// cache (posix_fadvise DONTNEED; they are on disk, nothing is lost). Interior pages and index
// leaves of many small keys stay: the duplicate check reads a random leaf of
// (sender_id, message_id) per message. Payloads are read again
// only by a consumer further behind than the journal's in-memory tail and by retention, from
// the disk. Without it a journal of 90 days fills the page cache with payloads nobody reads,
// and each new page of a growing file costs a fresh page of memory (on a virtual machine
// whose host backs guest memory lazily, a page fault in the host per page: 3.7 -> 15 us per
// 4 KB page appended once the recently freed memory is used up, docs/performance.md).
//
// Only for connections with synchronous=FULL or EXTRA: with NORMAL, SQLite does not sync the
// WAL at a commit, and other connections would see a commit whose frames are still gathered
// here. open_journal_writer() checks it.

namespace stagegate::bus {

// The name to pass to sqlite3_open_v2; registered (not as the default) on first use.
const char* journal_writer_vfs();

}  // namespace stagegate::bus
