#pragma once
// The durable journal: every accepted message, in sequence, in SQLite (WAL, synchronous=FULL).
// An append returns only after the record is on disk; only then does the gateway reply SCSS001.
// Concurrent appends share one transaction and one fsync (group commit).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stagegate/core/message.h"
#include "stagegate/core/result.h"

namespace stagegate::bus {

// One destination a message is routed to, with the payload that destination may see.
struct Route {
  std::string destination;  // e.g. "monitoring"; consumers subscribe to destinations
  std::string payload;
};

struct JournalInput {
  std::string sender_id;
  std::string message_id;
  std::string service_id;
  std::string topic;     // the kind of message, e.g. "stage" or "kb"
  std::string payload;   // the whole normalized message (JSON), for audit and observers
  std::string document;  // the signed business document as received, kept for audit
  // Empty: accepted and kept, delivered to no destination (no routing rule matched).
  std::vector<Route> routes;
};

struct JournalEntry {
  std::uint64_t sequence = 0;
  std::string received_at;
  std::string sender_id;
  std::string message_id;
  std::string service_id;
  std::string topic;    // the destination when read for destinations, else the kind
  std::string payload;  // that destination's payload, else the whole message
};

struct JournalOptions {
  std::size_t max_batch = 256;  // appends committed together at most
  // For a new file only (an existing journal keeps its own): every page a commit touches
  // is written to the WAL whole, and most gain one small entry, so 1 KB pages write fewer
  // bytes; but each frame is a write call, and in the whole gateway 4 KB pages cost less CPU
  // per message (docs/performance.md).
  std::size_t page_size = 4096;
  // How long a commit may wait for appends announced (announce()) but not yet made: messages
  // the workers are verifying, which would otherwise need an fsync of their own. It never
  // waits when none is announced. Zero: commit what is queued at once.
  std::chrono::microseconds commit_window{1000};
};

class Journal {
  struct Impl;

 public:
  // Creates the file and schema when missing. Throws std::runtime_error on failure to open.
  static Journal open(const std::filesystem::path& file, JournalOptions options = {});
  ~Journal();
  Journal(Journal&&) noexcept;
  Journal& operator=(Journal&&) noexcept;

  // Durable append. A repeated (sender_id, message_id) returns the first receipt with
  // duplicate=true and appends nothing. INTERNAL when the disk refuses. Thread-safe; blocks
  // until the batch holding this append is committed.
  Result<Receipt> append(const JournalInput& input);
  // The same append without waiting: `done` gets the receipt or refusal once the batch is
  // committed, through the completion executor (complete_on), else on the committing thread.
  void append_async(JournalInput input, std::function<void(Result<Receipt>)> done);
  // Where append_async's completions run: the executor gets each batch's completions at
  // once (one hand-off per commit, not one per message) and must not block. Null: on the
  // committing thread. When this returns, no call to the previous executor is under way.
  using CompletionExecutor = std::function<void(std::vector<std::function<void()>> completions)>;
  void complete_on(CompletionExecutor executor);

  // A message on its way to append_async (being verified): while any is, a commit waits up
  // to the commit window for it. Ends at destruction, which must follow the append (or the
  // message's refusal); on any thread, never after the journal.
  class Arrival {
   public:
    Arrival() = default;
    ~Arrival();
    Arrival(Arrival&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)) {}
    Arrival& operator=(Arrival&& other) noexcept;
    Arrival(const Arrival&) = delete;
    Arrival& operator=(const Arrival&) = delete;

   private:
    friend class Journal;
    Impl* impl_ = nullptr;
  };
  Arrival announce();

  // Runs on the committing thread after each commit, with the last committed sequence.
  void on_commit(std::function<void(std::uint64_t)> callback);

  // Entries after `sequence` in order. With `destinations`, only messages routed to one of
  // them, each once, as the first of them (by name) sees it; without, whole messages.
  // Throws sqlite::StorageError when the database refuses the read (never a silent short read).
  std::vector<JournalEntry> read_after(std::uint64_t sequence, std::size_t limit,
                                       const std::vector<std::string>& destinations = {}) const;
  std::optional<JournalEntry> read(std::uint64_t sequence, const std::vector<std::string>& destinations = {}) const;
  // Entries after `sequence` come from the database from now on, not from what the committer
  // wrote last: retention is about to empty or delete entries up to `sequence`.
  void forget_recent_through(std::uint64_t sequence);
  // The destinations a message was routed to, by name.
  std::vector<std::string> destinations(std::uint64_t sequence) const;
  std::uint64_t last_sequence() const;  // last committed
  std::uint64_t count() const;
  const std::filesystem::path& file() const;

 private:
  explicit Journal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::bus
