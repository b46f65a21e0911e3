#pragma once
// The durable journal: every accepted message, in sequence, in SQLite (WAL, synchronous=FULL).
// An append returns only after the record is on disk; only then does the gateway reply SCSS001.
// Concurrent appends share one transaction and one fsync (group commit).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stagegate/core/message.h"
#include "stagegate/core/result.h"

namespace stagegate::bus {

struct JournalInput {
  std::string sender_id;
  std::string message_id;
  std::string service_id;
  std::string topic;     // routing topic, e.g. "stage" or "kb"
  std::string payload;   // the normalized message (JSON)
  std::string document;  // the signed business document as received, kept for audit
};

struct JournalEntry {
  std::uint64_t sequence = 0;
  std::string received_at;
  std::string sender_id;
  std::string message_id;
  std::string service_id;
  std::string topic;
  std::string payload;
};

struct JournalOptions {
  std::size_t max_batch = 256;  // appends committed together at most
};

class Journal {
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

  // Runs on the committing thread after each commit, with the last committed sequence.
  void on_commit(std::function<void(std::uint64_t)> callback);

  // Entries after `sequence` in order; only the given topics when `topics` is not empty.
  std::vector<JournalEntry> read_after(std::uint64_t sequence, std::size_t limit,
                                       const std::vector<std::string>& topics = {}) const;
  std::optional<JournalEntry> read(std::uint64_t sequence) const;
  std::uint64_t last_sequence() const;  // last committed
  std::uint64_t count() const;
  const std::filesystem::path& file() const;

 private:
  struct Impl;
  explicit Journal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::bus
