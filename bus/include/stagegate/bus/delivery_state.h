#pragma once
// What the gateway remembers about delivery, beside the journal in the same SQLite file:
// each named consumer's acknowledged position, failures per message, dead letters, and
// operator-requested replays. `stagegate dlq` and `stagegate consumers` use it while the
// gateway runs (SQLite serializes the writers).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace stagegate::bus {

struct ConsumerPosition {
  std::string name;
  std::string topics;  // comma-separated; empty: all
  std::uint64_t acknowledged = 0;
  std::string first_seen;
  std::string last_seen;
};

struct DeadLetter {
  std::int64_t id = 0;
  std::string consumer;
  std::uint64_t sequence = 0;
  int failures = 0;
  std::string reason;
  std::string at;
};

// Every operation throws sqlite::StorageError (a std::runtime_error) when the database
// refuses it; a failed write changes nothing (transactions roll back).
class DeliveryState {
 public:
  // Opens the journal's file (creating the tables when missing). Throws std::runtime_error.
  static DeliveryState open(const std::filesystem::path& journal_file);
  ~DeliveryState();
  DeliveryState(DeliveryState&&) noexcept;
  DeliveryState& operator=(DeliveryState&&) noexcept;

  std::vector<ConsumerPosition> consumers() const;
  std::optional<ConsumerPosition> consumer(const std::string& name) const;
  void save_consumer(const ConsumerPosition& position);
  // Positions only move forward; one transaction for all.
  void save_positions(const std::vector<std::pair<std::string, std::uint64_t>>& positions);
  bool forget_consumer(const std::string& name);

  // Counts one more failure of `sequence` at `consumer`; returns the count so far.
  int record_failure(const std::string& consumer, std::uint64_t sequence, const std::string& reason);
  // Sequences after `after` that failed at `consumer`, with their counts.
  std::vector<std::pair<std::uint64_t, int>> failures_after(const std::string& consumer, std::uint64_t after) const;
  void add_dead_letter(const std::string& consumer, std::uint64_t sequence, int failures, const std::string& reason);
  // Both of the above in one transaction: counts one more failure and, at `dead_letter_at`,
  // adds the dead letter; returns the count so far. Nothing changes when it throws.
  int count_failure(const std::string& consumer, std::uint64_t sequence, const std::string& reason, int dead_letter_at);

  std::vector<DeadLetter> dead_letters() const;
  std::optional<DeadLetter> dead_letter(std::int64_t id) const;
  // Queues the message for redelivery to its consumer and removes the dead letter; false
  // when there is no such dead letter.
  bool replay(std::int64_t id);
  bool drop(std::int64_t id);
  std::vector<std::uint64_t> replays_for(const std::string& consumer) const;
  void replay_done(const std::string& consumer, std::uint64_t sequence);

  // Empties payload and document of entries every consumer acknowledged before the cutoff
  // (ISO-8601 UTC text), and deletes entries older than the receipt cutoff; returns rows touched.
  // A running Journal reads its newest entries from memory: call its forget_recent_through(
  // acknowledged_by_all) first (DeliverySessions::retain does).
  std::uint64_t prune(std::uint64_t acknowledged_by_all, const std::string& empty_before, const std::string& delete_before);

  // Takes the write lock and lets it go: whether a write would succeed now.
  void check_writable();

 private:
  struct Impl;
  explicit DeliveryState(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::bus
