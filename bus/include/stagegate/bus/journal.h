#pragma once
// The durable journal: every accepted message, in sequence, in SQLite (WAL, synchronous=FULL).
// An append returns only after the record is on disk; only then does the gateway reply SCSS001.
#include <cstdint>
#include <filesystem>
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

class Journal {
 public:
  // Creates the file and schema when missing. Throws std::runtime_error on failure to open.
  static Journal open(const std::filesystem::path& file);
  ~Journal();
  Journal(Journal&&) noexcept;
  Journal& operator=(Journal&&) noexcept;

  // Durable append. A repeated (sender_id, message_id) returns the first receipt with
  // duplicate=true and appends nothing. INTERNAL when the disk refuses. Thread-safe.
  Result<Receipt> append(const JournalInput& input);

  std::vector<JournalEntry> read_after(std::uint64_t sequence, std::size_t limit) const;
  std::uint64_t last_sequence() const;
  std::uint64_t count() const;

 private:
  struct Impl;
  explicit Journal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::bus
