#pragma once
// The journal's newest entries as the committer wrote them, for delivery's reads: a consumer
// that keeps up asks for what was committed a moment ago, and SQLite would read it back from
// the WAL (its reader's page cache is emptied by every commit: about 1.6 pread64 and the
// query's work per message). Holds a contiguous run of sequences ending at the newest commit;
// a read that starts before the run goes to the database, as does anything retention may
// have emptied (forget_through).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "stagegate/bus/journal.h"

namespace stagegate::bus {

class RecentEntries {
 public:
  explicit RecentEntries(std::size_t capacity) : capacity_(capacity) {}

  // An entry just committed, with the routes it was appended with. Sequences must follow
  // each other; one that does not (after a failed batch) starts the run again.
  void committed(JournalEntry whole, std::vector<Route> routes);
  // Forgets every entry up to `sequence`: retention is about to empty or delete them.
  void forget_through(std::uint64_t sequence);
  void clear();

  // Journal::read_after's answer when the run covers every entry after `after`; false when
  // the database must answer. `sorted_destinations` as Journal::read_after's, sorted.
  bool read_after(std::uint64_t after, std::size_t limit, const std::vector<std::string>& sorted_destinations,
                  std::vector<JournalEntry>& entries) const;

 private:
  struct RouteCopy {
    std::string destination;
    std::string payload;  // empty when `whole`
    bool whole = false;   // the destination sees the whole message: no second copy
  };
  struct Entry {
    JournalEntry whole;
    std::vector<RouteCopy> routes;
  };
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<Entry> entries_;
};

}  // namespace stagegate::bus
