#include "stagegate/bus/delivery_state.h"

#include <mutex>

#include "schema.h"
#include "stagegate/bus/sqlite.h"
#include "stagegate/core/clock.h"

namespace stagegate::bus {

struct DeliveryState::Impl {
  sqlite::Database db;
  mutable std::mutex mutex;

  explicit Impl(sqlite::Database opened) : db(std::move(opened)) {
    // Positions and failures may be replayed after a power cut (at-least-once); the
    // journal's own connection keeps synchronous=FULL for what was promised.
    sqlite::exec_or_throw(db.get(), "PRAGMA synchronous=NORMAL");
  }

};

namespace {

ConsumerPosition position_from(sqlite::Statement& row) {
  return ConsumerPosition{row.column_text(0), row.column_text(1), static_cast<std::uint64_t>(row.column_int(2)),
                          row.column_text(3), row.column_text(4)};
}

DeadLetter dead_letter_from(sqlite::Statement& row) {
  return DeadLetter{row.column_int(0), row.column_text(1), static_cast<std::uint64_t>(row.column_int(2)),
                    static_cast<int>(row.column_int(3)), row.column_text(4), row.column_text(5)};
}

}  // namespace

DeliveryState DeliveryState::open(const std::filesystem::path& journal_file) {
  return DeliveryState(std::make_unique<Impl>(open_journal_database(journal_file)));
}

DeliveryState::DeliveryState(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DeliveryState::~DeliveryState() = default;
DeliveryState::DeliveryState(DeliveryState&&) noexcept = default;
DeliveryState& DeliveryState::operator=(DeliveryState&&) noexcept = default;

std::vector<ConsumerPosition> DeliveryState::consumers() const {
  std::lock_guard lock(impl_->mutex);
  sqlite::Statement rows(impl_->db.get(), "SELECT name, topics, acknowledged, first_seen, last_seen FROM consumers ORDER BY name");
  std::vector<ConsumerPosition> all;
  while (rows.next_row()) all.push_back(position_from(rows));
  return all;
}

std::optional<ConsumerPosition> DeliveryState::consumer(const std::string& name) const {
  std::lock_guard lock(impl_->mutex);
  sqlite::Statement row(impl_->db.get(),
                        "SELECT name, topics, acknowledged, first_seen, last_seen FROM consumers WHERE name = ?1");
  row.bind(1, name);
  if (!row.next_row()) return std::nullopt;
  return position_from(row);
}

void DeliveryState::save_consumer(const ConsumerPosition& position) {
  std::lock_guard lock(impl_->mutex);
  sqlite::Statement upsert(impl_->db.get(),
                           "INSERT INTO consumers(name, topics, acknowledged, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4) "
                           "ON CONFLICT(name) DO UPDATE SET topics = excluded.topics, last_seen = excluded.last_seen, "
                           "acknowledged = MAX(acknowledged, excluded.acknowledged)");
  upsert.bind(1, position.name);
  upsert.bind(2, position.topics);
  upsert.bind(3, static_cast<std::int64_t>(position.acknowledged));
  upsert.bind(4, now_utc());
  upsert.run();
}

void DeliveryState::save_positions(const std::vector<std::pair<std::string, std::uint64_t>>& positions) {
  if (positions.empty()) return;
  std::lock_guard lock(impl_->mutex);
  sqlite::Transaction transaction(impl_->db.get());
  sqlite::Statement update(impl_->db.get(),
                           "UPDATE consumers SET acknowledged = MAX(acknowledged, ?2), last_seen = ?3 WHERE name = ?1");
  const auto now = now_utc();
  for (const auto& [name, acknowledged] : positions) {
    update.reset();
    update.bind(1, name);
    update.bind(2, static_cast<std::int64_t>(acknowledged));
    update.bind(3, now);
    update.run();
  }
  transaction.commit();
}

bool DeliveryState::forget_consumer(const std::string& name) {
  std::lock_guard lock(impl_->mutex);
  sqlite::Statement remove(impl_->db.get(), "DELETE FROM consumers WHERE name = ?1");
  remove.bind(1, name);
  remove.run();
  return sqlite3_changes(impl_->db.get()) > 0;
}

std::vector<std::pair<std::uint64_t, int>> DeliveryState::failures_after(const std::string& consumer, std::uint64_t after) const {
  std::lock_guard lock(impl_->mutex);
  sqlite::Statement rows(impl_->db.get(), "SELECT sequence, failures FROM attempts WHERE consumer = ?1 AND sequence > ?2");
  rows.bind(1, consumer);
  rows.bind(2, static_cast<std::int64_t>(after));
  std::vector<std::pair<std::uint64_t, int>> failures;
  while (rows.next_row())
    failures.emplace_back(static_cast<std::uint64_t>(rows.column_int(0)), static_cast<int>(rows.column_int(1)));
  return failures;
}

namespace {

int increment_failures(sqlite3* db, const std::string& consumer, std::uint64_t sequence, const std::string& reason) {
  sqlite::Statement upsert(db,
                           "INSERT INTO attempts(consumer, sequence, failures, last_reason) VALUES (?1, ?2, 1, ?3) "
                           "ON CONFLICT(consumer, sequence) DO UPDATE SET failures = failures + 1, last_reason = excluded.last_reason "
                           "RETURNING failures");
  upsert.bind(1, consumer);
  upsert.bind(2, static_cast<std::int64_t>(sequence));
  upsert.bind(3, reason);
  if (!upsert.next_row()) throw sqlite::StorageError("delivery state: no failure count returned");
  const int failures = static_cast<int>(upsert.column_int(0));
  upsert.run();  // finishes the statement, so the upsert is applied
  return failures;
}

void insert_dead_letter(sqlite3* db, const std::string& consumer, std::uint64_t sequence, int failures, const std::string& reason) {
  sqlite::Statement insert(db,
                           "INSERT INTO dead_letters(consumer, sequence, failures, reason, at) VALUES (?1, ?2, ?3, ?4, ?5) "
                           "ON CONFLICT(consumer, sequence) DO UPDATE SET failures = excluded.failures, reason = excluded.reason, at = excluded.at");
  insert.bind(1, consumer);
  insert.bind(2, static_cast<std::int64_t>(sequence));
  insert.bind(3, static_cast<std::int64_t>(failures));
  insert.bind(4, reason);
  insert.bind(5, now_utc());
  insert.run();
}

}  // namespace

int DeliveryState::record_failure(const std::string& consumer, std::uint64_t sequence, const std::string& reason) {
  std::lock_guard lock(impl_->mutex);
  return increment_failures(impl_->db.get(), consumer, sequence, reason);
}

void DeliveryState::add_dead_letter(const std::string& consumer, std::uint64_t sequence, int failures, const std::string& reason) {
  std::lock_guard lock(impl_->mutex);
  insert_dead_letter(impl_->db.get(), consumer, sequence, failures, reason);
}

int DeliveryState::count_failure(const std::string& consumer, std::uint64_t sequence, const std::string& reason,
                                 int dead_letter_at) {
  std::lock_guard lock(impl_->mutex);
  sqlite::Transaction transaction(impl_->db.get());
  const int failures = increment_failures(impl_->db.get(), consumer, sequence, reason);
  if (failures >= dead_letter_at) insert_dead_letter(impl_->db.get(), consumer, sequence, failures, reason);
  transaction.commit();
  return failures;
}

std::vector<DeadLetter> DeliveryState::dead_letters() const {
  std::lock_guard lock(impl_->mutex);
  sqlite::Statement rows(impl_->db.get(), "SELECT id, consumer, sequence, failures, reason, at FROM dead_letters ORDER BY id");
  std::vector<DeadLetter> all;
  while (rows.next_row()) all.push_back(dead_letter_from(rows));
  return all;
}

std::optional<DeadLetter> DeliveryState::dead_letter(std::int64_t id) const {
  std::lock_guard lock(impl_->mutex);
  sqlite::Statement row(impl_->db.get(), "SELECT id, consumer, sequence, failures, reason, at FROM dead_letters WHERE id = ?1");
  row.bind(1, id);
  if (!row.next_row()) return std::nullopt;
  return dead_letter_from(row);
}

bool DeliveryState::replay(std::int64_t id) {
  const auto letter = dead_letter(id);
  if (!letter) return false;
  std::lock_guard lock(impl_->mutex);
  sqlite::Transaction transaction(impl_->db.get());
  sqlite::Statement queue(impl_->db.get(),
                          "INSERT OR IGNORE INTO replays(consumer, sequence, requested_at) VALUES (?1, ?2, ?3)");
  queue.bind(1, letter->consumer);
  queue.bind(2, static_cast<std::int64_t>(letter->sequence));
  queue.bind(3, now_utc());
  queue.run();
  sqlite::Statement forget(impl_->db.get(), "DELETE FROM dead_letters WHERE id = ?1");
  forget.bind(1, id);
  forget.run();
  transaction.commit();
  return true;
}

bool DeliveryState::drop(std::int64_t id) {
  std::lock_guard lock(impl_->mutex);
  sqlite::Statement remove(impl_->db.get(), "DELETE FROM dead_letters WHERE id = ?1");
  remove.bind(1, id);
  remove.run();
  return sqlite3_changes(impl_->db.get()) > 0;
}

std::vector<std::uint64_t> DeliveryState::replays_for(const std::string& consumer) const {
  std::lock_guard lock(impl_->mutex);
  sqlite::Statement rows(impl_->db.get(), "SELECT sequence FROM replays WHERE consumer = ?1 ORDER BY sequence");
  rows.bind(1, consumer);
  std::vector<std::uint64_t> sequences;
  while (rows.next_row()) sequences.push_back(static_cast<std::uint64_t>(rows.column_int(0)));
  return sequences;
}

void DeliveryState::replay_done(const std::string& consumer, std::uint64_t sequence) {
  std::lock_guard lock(impl_->mutex);
  sqlite::Statement remove(impl_->db.get(), "DELETE FROM replays WHERE consumer = ?1 AND sequence = ?2");
  remove.bind(1, consumer);
  remove.bind(2, static_cast<std::int64_t>(sequence));
  remove.run();
}

std::uint64_t DeliveryState::prune(std::uint64_t acknowledged_by_all, const std::string& empty_before,
                                   const std::string& delete_before) {
  std::lock_guard lock(impl_->mutex);
  // Each statement takes (?1 acknowledged by all, ?2 received before) and returns the rows it changed.
  const auto run = [&](const char* sql, const std::string& before) -> std::uint64_t {
    sqlite::Statement statement(impl_->db.get(), sql);
    statement.bind(1, static_cast<std::int64_t>(acknowledged_by_all));
    statement.bind(2, before);
    statement.run();
    return static_cast<std::uint64_t>(sqlite3_changes(impl_->db.get()));
  };
  constexpr const char* kAged = "SELECT sequence FROM journal WHERE sequence <= ?1 AND received_at < ?2";
  std::uint64_t touched = run(
      "UPDATE journal SET payload = '', document = '' WHERE sequence <= ?1 AND received_at < ?2 AND payload != ''",
      empty_before);
  // Routes are keyed by (destination, sequence) alone: one pass per destination, each
  // seeking the aged sequences. A NULL payload is the journal's, emptied above.
  for (const auto& destination : route_destinations(impl_->db.get())) {
    const auto per_destination = [&](const std::string& sql, const std::string& before) {
      sqlite::Statement statement(impl_->db.get(), sql.c_str());
      statement.bind(1, static_cast<std::int64_t>(acknowledged_by_all));
      statement.bind(2, before);
      statement.bind(3, destination);
      statement.run();
    };
    per_destination(std::string("UPDATE routes SET payload = '' WHERE destination = ?3 AND payload != '' AND sequence IN (") +
                        kAged + ")",
                    empty_before);
    per_destination(std::string("DELETE FROM routes WHERE destination = ?3 AND sequence IN (") + kAged + ")", delete_before);
  }
  // The newest sequence stays known when retention deletes it: the journal never hands it
  // out again (journal.cpp). Recorded only when this pass deletes entries, in its transaction.
  sqlite::Transaction deleting(impl_->db.get());
  sqlite::Statement newest(impl_->db.get(), "SELECT COALESCE(MAX(sequence), 0) FROM journal");
  const auto newest_before = newest.scalar();
  const auto deleted = run("DELETE FROM journal WHERE sequence <= ?1 AND received_at < ?2", delete_before);
  touched += deleted;
  if (deleted > 0) {
    sqlite::Statement retire(impl_->db.get(),
                             "INSERT INTO retired(id, last_sequence) VALUES (1, ?1) "
                             "ON CONFLICT(id) DO UPDATE SET last_sequence = MAX(last_sequence, excluded.last_sequence)");
    retire.bind(1, newest_before);
    retire.run();
  }
  deleting.commit();
  sqlite::Statement attempts(impl_->db.get(), "DELETE FROM attempts WHERE sequence <= ?1");
  attempts.bind(1, static_cast<std::int64_t>(acknowledged_by_all));
  attempts.run();
  return touched;
}

void DeliveryState::check_writable() {
  std::lock_guard lock(impl_->mutex);
  sqlite::Transaction probe(impl_->db.get());  // takes the write lock, then rolls back
}

}  // namespace stagegate::bus
