#pragma once
// The notification consumer's durable state in one SQLite file (var/notification.db):
// its position in the journal, the outbox of rendered notifications, and the contacts.
//
// Guarantees (docs/notification.md):
// - record() stores a notification and the journal position in one transaction, so a
//   delivered message is either fully recorded or delivered again; the unique key
//   (application, stage, citizen) makes the same stage notify the same citizen once, even
//   when a provider sends it again under another messageId.
// - A row is marked `sending` (committed) before its SMTP transaction and `sent` after the
//   server's 250. A row found `sending` at startup was interrupted mid-transaction: it may
//   or may not have reached the server, so it is never sent again by itself; it becomes
//   undeliverable "uncertain" for an operator to check by its Message-ID and resend.
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stagegate/bus/sqlite.h"
#include "stagegate/core/result.h"

namespace stagegate::notification {

struct OutboxEntry {
  std::string application_id;
  int stage = 0;
  std::string stage_name;
  std::string citizen;  // CitizenKeys::digest(recipient's IIN/BIN)
  std::string message_id;
  std::string subject;
  std::string body;
};

struct OutboxRow {
  std::int64_t id = 0;
  OutboxEntry entry;
  std::uint64_t sequence = 0;
  std::string state;  // pending | sending | sent | undeliverable
  int attempts = 0;
  std::int64_t next_attempt_ms = 0;  // Unix milliseconds
  std::string last_error;
  std::string created_at;
  std::string finished_at;  // when sent or given up
};

enum class Recorded {
  Queued,        // a new notification in the outbox
  AlreadyKnown,  // this stage was already notified (or queued) for this citizen
  Duplicate,     // the journal sequence was recorded before (delivered again)
};

std::int64_t now_ms();

class Outbox {
 public:
  // Throws std::runtime_error at startup when the file cannot be opened.
  explicit Outbox(const std::filesystem::path& file);

  // INTERNAL when the store fails (the consumer refuses the message and it comes again).
  Result<Recorded> record(const OutboxEntry& entry, std::uint64_t sequence);
  std::uint64_t last_sequence() const;

  // Contacts, keyed by the citizen key. Replaces the e-mail of a key imported before.
  Result<std::size_t> import_contacts(const std::vector<std::pair<std::string, std::string>>& contacts);
  std::optional<std::string> contact_of(const std::string& citizen) const;

  // The sender's side. next_due: the oldest pending row whose time has come.
  std::optional<OutboxRow> next_due(std::int64_t now) const;
  // The earliest time a pending row becomes due, if any is pending.
  std::optional<std::int64_t> next_wakeup() const;
  Status mark_sending(std::int64_t id);
  Status mark_sent(std::int64_t id);
  Status mark_retry(std::int64_t id, std::int64_t next_attempt, const std::string& error);
  Status mark_undeliverable(std::int64_t id, const std::string& reason);
  // At startup: rows left `sending` by a crash become undeliverable "uncertain"; their ids.
  std::vector<std::int64_t> settle_interrupted();
  // An operator's decision: an undeliverable row goes back to pending with fresh attempts.
  // DATA_INVALID when there is no such undeliverable row.
  Status resend(std::int64_t id);

  // Rows in the given states, oldest first.
  std::vector<OutboxRow> list(const std::vector<std::string>& states) const;
  std::size_t count(const std::string& state) const;

 private:
  Result<Recorded> record_in_transaction(const OutboxEntry& entry, std::uint64_t sequence);
  Status finish(bus::sqlite::Statement& update, std::int64_t id);
  Refusal failed(const char* what) const;

  bus::sqlite::Database db_;
  mutable std::mutex mutex_;
};

}  // namespace stagegate::notification
