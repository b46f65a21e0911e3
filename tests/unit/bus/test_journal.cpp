#define BOOST_TEST_MODULE bus
#include <boost/test/unit_test.hpp>

#include <set>
#include <thread>

#include "stagegate/bus/delivery_state.h"
#include "stagegate/bus/journal.h"
#include "stagegate/bus/sqlite.h"
#include "support/temp_dir.h"

using namespace stagegate;

namespace {

bus::JournalInput input(const std::string& message_id, const std::string& topic = "stage") {
  return bus::JournalInput{"akimat", message_id, "STAGE_NOTIFICATION", topic, "{\"n\":\"" + message_id + "\"}", "<doc/>",
                           {{topic, "{\"n\":\"" + message_id + "\"}"}}};
}

std::int64_t scalar(const std::filesystem::path& file, const char* sql) {
  auto db = bus::sqlite::open(file.string());
  bus::sqlite::Statement statement(db.get(), sql);
  return statement.scalar();
}

// A journal as the schema of user_version 3 wrote it (4 KB pages, AUTOINCREMENT, a payload
// copy per destination, routes_by_sequence), with m1 (sequence 1, to monitoring and
// knowledge_base) and m2 (sequence 2, to monitoring) whose newest entry, 3, retention deleted.
void write_user_version_3_journal(const std::filesystem::path& file) {
  auto db = bus::sqlite::open(file.string());
  bus::sqlite::exec_or_throw(
      db.get(),
      "PRAGMA journal_mode=WAL;"
      "CREATE TABLE journal (sequence INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL,"
      " sender_id TEXT NOT NULL, message_id TEXT NOT NULL, service_id TEXT NOT NULL, topic TEXT NOT NULL,"
      " payload TEXT NOT NULL, document TEXT NOT NULL, UNIQUE(sender_id, message_id));"
      "CREATE TABLE consumers (name TEXT PRIMARY KEY, topics TEXT NOT NULL, acknowledged INTEGER NOT NULL,"
      " first_seen TEXT NOT NULL, last_seen TEXT NOT NULL);"
      "CREATE TABLE attempts (consumer TEXT NOT NULL, sequence INTEGER NOT NULL, failures INTEGER NOT NULL,"
      " last_reason TEXT NOT NULL, PRIMARY KEY(consumer, sequence));"
      "CREATE TABLE dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, consumer TEXT NOT NULL, sequence INTEGER NOT NULL,"
      " failures INTEGER NOT NULL, reason TEXT NOT NULL, at TEXT NOT NULL, UNIQUE(consumer, sequence));"
      "CREATE TABLE replays (consumer TEXT NOT NULL, sequence INTEGER NOT NULL, requested_at TEXT NOT NULL,"
      " PRIMARY KEY(consumer, sequence));"
      "CREATE TABLE routes (destination TEXT NOT NULL, sequence INTEGER NOT NULL, payload TEXT NOT NULL,"
      " PRIMARY KEY(destination, sequence)) WITHOUT ROWID;"
      "CREATE INDEX routes_by_sequence ON routes(sequence);"
      "PRAGMA user_version=3;"
      "INSERT INTO journal(received_at, sender_id, message_id, service_id, topic, payload, document) VALUES"
      " ('2026-01-01T00:00:00.000Z', 'akimat', 'm1', 'STAGE_NOTIFICATION', 'stage', '{\"whole\":1}', '<doc/>'),"
      " ('2026-01-01T00:00:01.000Z', 'akimat', 'm2', 'STAGE_NOTIFICATION', 'stage', '{\"whole\":2}', '<doc/>'),"
      " ('2026-01-01T00:00:02.000Z', 'akimat', 'm3', 'STAGE_NOTIFICATION', 'stage', '{\"whole\":3}', '<doc/>');"
      "INSERT INTO routes VALUES ('monitoring', 1, '{\"whole\":1}'), ('knowledge_base', 1, '{\"no_names\":1}'),"
      " ('monitoring', 2, '{\"whole\":2}'), ('monitoring', 3, '{\"whole\":3}');"
      "DELETE FROM routes WHERE sequence = 3; DELETE FROM journal WHERE sequence = 3;");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(journal)

BOOST_AUTO_TEST_CASE(appends_get_increasing_sequences) {
  test::TempDir dir;
  auto journal = bus::Journal::open(dir / "journal.db");
  const auto first = journal.append(input("m1"));
  const auto second = journal.append(input("m2"));
  BOOST_REQUIRE(first.ok() && second.ok());
  BOOST_TEST(first->sequence == 1u);
  BOOST_TEST(second->sequence == 2u);
  BOOST_TEST(!first->duplicate);
  BOOST_TEST(first->received_at.size() == 24u);
  BOOST_TEST(journal.count() == 2u);
  BOOST_TEST(journal.last_sequence() == 2u);
}

BOOST_AUTO_TEST_CASE(repeated_message_id_returns_the_first_receipt) {
  test::TempDir dir;
  auto journal = bus::Journal::open(dir / "journal.db");
  const auto first = journal.append(input("m1"));
  const auto again = journal.append(input("m1"));
  BOOST_REQUIRE(again.ok());
  BOOST_TEST(again->duplicate);
  BOOST_TEST(again->sequence == first->sequence);
  BOOST_TEST(again->received_at == first->received_at);
  BOOST_TEST(journal.count() == 1u);
  // The same messageId from another sender is another message.
  auto other = input("m1");
  other.sender_id = "other";
  BOOST_TEST(!journal.append(other)->duplicate);
}

BOOST_AUTO_TEST_CASE(data_and_duplicates_survive_reopening) {
  test::TempDir dir;
  Receipt first;
  {
    auto journal = bus::Journal::open(dir / "journal.db");
    first = journal.append(input("m1")).value();
    BOOST_TEST(journal.append(input("m2")).ok());
  }
  auto reopened = bus::Journal::open(dir / "journal.db");
  BOOST_TEST(reopened.count() == 2u);
  const auto again = reopened.append(input("m1"));
  BOOST_TEST(again->duplicate);
  BOOST_TEST(again->sequence == first.sequence);
  BOOST_TEST(reopened.append(input("m3"))->sequence == 3u);
}

BOOST_AUTO_TEST_CASE(read_after_pages_in_order) {
  test::TempDir dir;
  auto journal = bus::Journal::open(dir / "journal.db");
  for (int i = 1; i <= 10; ++i) BOOST_REQUIRE(journal.append(input("m" + std::to_string(i))).ok());
  const auto page = journal.read_after(3, 4);
  BOOST_REQUIRE_EQUAL(page.size(), 4u);
  BOOST_TEST(page.front().sequence == 4u);
  BOOST_TEST(page.back().sequence == 7u);
  BOOST_TEST(page.front().message_id == "m4");
  BOOST_TEST(page.front().payload == "{\"n\":\"m4\"}");
  BOOST_TEST(page.front().topic == "stage");
  BOOST_TEST(journal.read_after(10, 5).empty());
}

BOOST_AUTO_TEST_CASE(each_destination_reads_its_own_payload) {
  test::TempDir dir;
  auto journal = bus::Journal::open(dir / "journal.db");
  auto routed = input("m1");
  routed.payload = "{\"whole\":1}";
  routed.routes = {{"monitoring", "{\"all\":1}"}, {"knowledge_base", "{\"no_names\":1}"}};
  auto unrouted = input("m2");
  unrouted.routes = {{"monitoring", "{\"m2\":1}"}};
  BOOST_REQUIRE(journal.append(routed).ok());
  BOOST_REQUIRE(journal.append(unrouted).ok());

  const auto kb = journal.read_after(0, 10, {"knowledge_base"});
  BOOST_REQUIRE(kb.size() == 1u);
  BOOST_TEST(kb.front().topic == "knowledge_base");
  BOOST_TEST(kb.front().payload == "{\"no_names\":1}");

  const auto both = journal.read_after(0, 10, {"monitoring", "knowledge_base"});
  BOOST_REQUIRE(both.size() == 2u);  // each message once, as the first destination by name sees it
  BOOST_TEST(both[0].topic == "knowledge_base");
  BOOST_TEST(both[1].topic == "monitoring");

  const auto whole = journal.read_after(0, 10);
  BOOST_REQUIRE(whole.size() == 2u);
  BOOST_TEST(whole.front().topic == "stage");
  BOOST_TEST(whole.front().payload == "{\"whole\":1}");

  BOOST_TEST(!journal.read(2, {"knowledge_base"}).has_value());
  BOOST_TEST(journal.read(1, {"monitoring"})->payload == "{\"all\":1}");
  BOOST_TEST(journal.destinations(1) == (std::vector<std::string>{"knowledge_base", "monitoring"}));
}

BOOST_AUTO_TEST_CASE(retention_empties_then_removes_only_what_all_acknowledged) {
  test::TempDir dir;
  auto journal = bus::Journal::open(dir / "journal.db");
  for (const auto* id : {"m1", "m2", "m3"}) BOOST_REQUIRE(journal.append(input(id, "monitoring")).ok());
  auto state = bus::DeliveryState::open(journal.file());

  // Everything is old enough to empty, nothing to remove; all acknowledged up to 2. The
  // journal is told first, as delivery does: it would read its newest entries from memory.
  journal.forget_recent_through(2);
  BOOST_TEST(state.prune(2, "9999-12-31", "0000-01-01") == 2u);
  const auto left = journal.read_after(0, 10, {"monitoring"});
  BOOST_REQUIRE(left.size() == 1u);  // emptied payloads are not delivered again
  BOOST_TEST(left.front().sequence == 3u);
  BOOST_TEST(journal.read_after(0, 10).size() == 1u);
  BOOST_TEST(journal.count() == 3u);  // the receipts (idempotency keys) stay

  BOOST_TEST(state.prune(2, "9999-12-31", "9999-12-31") == 2u);
  BOOST_TEST(journal.count() == 1u);
  BOOST_TEST(journal.destinations(1).empty());
  BOOST_TEST(journal.destinations(3) == std::vector<std::string>{"monitoring"});
}

std::string described(const std::vector<bus::JournalEntry>& entries) {
  std::string text;
  for (const auto& entry : entries)
    text += std::to_string(entry.sequence) + " " + entry.received_at + " " + entry.sender_id + " " + entry.message_id + " " +
            entry.service_id + " " + entry.topic + " " + entry.payload + "\n";
  return text;
}

// Delivery reads the newest entries from what the committer wrote (recent_entries.h): the
// same entries, destinations and payloads as the database gives.
BOOST_AUTO_TEST_CASE(the_newest_entries_read_from_memory_as_from_the_database) {
  test::TempDir dir;
  auto journal = bus::Journal::open(dir / "journal.db");
  for (int n = 0; n < 60; ++n) {
    auto message = input("m" + std::to_string(n % 50));  // the last ten repeat earlier ones
    message.payload = "{\"n\":" + std::to_string(n) + "}";
    message.routes.clear();
    if (n % 3 != 0) message.routes.push_back({"monitoring", message.payload});  // stored as NULL: the journal's
    if (n % 2 == 0) message.routes.push_back({"knowledge_base", "{\"kb\":" + std::to_string(n) + "}"});
    if (n % 7 == 0) message.routes.push_back({"notification", "{\"to\":" + std::to_string(n) + "}"});
    BOOST_REQUIRE(journal.append(message).ok());
  }
  auto database = bus::Journal::open(dir / "journal.db");  // nothing in memory: reads the file
  const std::vector<std::vector<std::string>> destination_sets{
      {}, {"monitoring"}, {"knowledge_base"}, {"notification"}, {"monitoring", "knowledge_base"},
      {"notification", "monitoring", "knowledge_base"}, {"absent"}, {"absent", "notification"}};
  for (const std::uint64_t after : {0u, 1u, 7u, 25u, 49u, 50u, 60u})
    for (const std::size_t limit : {1u, 5u, 64u})
      for (const auto& destinations : destination_sets) {
        BOOST_TEST_CONTEXT("after " << after << ", limit " << limit << ", " << destinations.size() << " destinations") {
          BOOST_TEST(described(journal.read_after(after, limit, destinations)) ==
                     described(database.read_after(after, limit, destinations)));
        }
      }
  BOOST_TEST(described({*journal.read(9, {"knowledge_base", "notification"})}) ==
             described({*database.read(9, {"knowledge_base", "notification"})}));

  // Read from memory indeed: a change behind the journal's back is not seen until it is
  // told to forget (as retention does before it empties entries).
  {
    auto db = bus::sqlite::open((dir / "journal.db").string());
    bus::sqlite::exec_or_throw(db.get(), "UPDATE journal SET payload = '' WHERE sequence <= 10");
  }
  BOOST_TEST(journal.read_after(0, 64).size() == 50u);
  journal.forget_recent_through(10);
  BOOST_TEST(journal.read_after(0, 64).size() == 40u);
  BOOST_TEST(journal.read_after(10, 64).size() == 40u);  // after the forgotten ones: memory again
}

BOOST_AUTO_TEST_CASE(concurrent_appends_get_distinct_sequences) {
  test::TempDir dir;
  auto journal = bus::Journal::open(dir / "journal.db");
  std::vector<std::thread> writers;
  std::mutex mutex;
  std::set<std::uint64_t> sequences;
  for (int w = 0; w < 8; ++w)
    writers.emplace_back([&, w] {
      for (int i = 0; i < 50; ++i) {
        const auto receipt = journal.append(input("w" + std::to_string(w) + "-" + std::to_string(i)));
        std::lock_guard lock(mutex);
        if (receipt) sequences.insert(receipt->sequence);
      }
    });
  for (auto& writer : writers) writer.join();
  BOOST_TEST(sequences.size() == 400u);
  BOOST_TEST(*sequences.rbegin() == 400u);
  BOOST_TEST(journal.count() == 400u);
}

BOOST_AUTO_TEST_CASE(new_journals_use_the_compact_layout) {
  test::TempDir dir;
  {
    auto journal = bus::Journal::open(dir / "journal.db");
    auto routed = input("m1");
    routed.payload = "{\"whole\":1}";
    routed.routes = {{"monitoring", "{\"whole\":1}"}, {"knowledge_base", "{\"no_names\":1}"}};
    BOOST_REQUIRE(journal.append(routed).ok());
    BOOST_TEST(journal.read(1, {"monitoring"})->payload == "{\"whole\":1}");
    BOOST_TEST(journal.read(1, {"knowledge_base"})->payload == "{\"no_names\":1}");
  }
  const auto file = dir / "journal.db";
  BOOST_TEST(scalar(file, "PRAGMA page_size") == 4096);
  BOOST_TEST(scalar(file, "PRAGMA user_version") == 4);
  // The destination that sees the whole message holds no copy; no AUTOINCREMENT counter.
  BOOST_TEST(scalar(file, "SELECT COUNT(*) FROM routes WHERE destination = 'monitoring' AND payload IS NULL") == 1);
  BOOST_TEST(scalar(file, "SELECT COUNT(*) FROM sqlite_sequence WHERE name = 'journal'") == 0);
  BOOST_TEST(scalar(file, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'routes_by_sequence'") == 0);
  BOOST_TEST(scalar(file, "PRAGMA synchronous") == 2);  // FULL, on every connection the journal opens
}

BOOST_AUTO_TEST_CASE(sequences_are_not_reused_after_retention_deleted_every_entry) {
  test::TempDir dir;
  {
    auto journal = bus::Journal::open(dir / "journal.db");
    for (const auto* id : {"m1", "m2", "m3"}) BOOST_REQUIRE(journal.append(input(id, "monitoring")).ok());
    auto state = bus::DeliveryState::open(journal.file());
    BOOST_TEST(state.prune(3, "9999-12-31", "9999-12-31") == 6u);  // emptied, then deleted
    BOOST_TEST(journal.count() == 0u);
    BOOST_TEST(journal.append(input("m4"))->sequence == 4u);
    BOOST_TEST(state.prune(4, "9999-12-31", "9999-12-31") == 2u);
  }
  auto reopened = bus::Journal::open(dir / "journal.db");
  BOOST_TEST(reopened.count() == 0u);
  BOOST_TEST(reopened.last_sequence() == 4u);
  BOOST_TEST(reopened.append(input("m5"))->sequence == 5u);
  // A pass that deletes nothing writes no high-water mark (and lowers none).
  auto state = bus::DeliveryState::open(reopened.file());
  BOOST_TEST(state.prune(0, "0000-01-01", "0000-01-01") == 0u);
  BOOST_TEST(scalar(reopened.file(), "SELECT last_sequence FROM retired") == 4);
}

BOOST_AUTO_TEST_CASE(a_journal_of_user_version_3_keeps_its_layout_and_works) {
  test::TempDir dir;
  const auto file = dir / "journal.db";
  write_user_version_3_journal(file);
  {
    auto journal = bus::Journal::open(file);
    // Its entries, each destination's copy, its duplicates and its sequences.
    BOOST_TEST(journal.count() == 2u);
    BOOST_TEST(journal.last_sequence() == 3u);  // 3 was deleted; AUTOINCREMENT remembers it
    BOOST_TEST(journal.read(1, {"knowledge_base"})->payload == "{\"no_names\":1}");
    BOOST_TEST(journal.read_after(0, 10, {"monitoring"}).size() == 2u);
    BOOST_TEST(journal.destinations(1) == (std::vector<std::string>{"knowledge_base", "monitoring"}));
    const auto again = journal.append(input("m1"));
    BOOST_TEST(again->duplicate);
    BOOST_TEST(again->sequence == 1u);
    BOOST_TEST(again->received_at == "2026-01-01T00:00:00.000Z");

    auto next = input("m4", "monitoring");
    next.payload = "{\"whole\":4}";
    next.routes = {{"monitoring", "{\"whole\":4}"}};
    BOOST_TEST(journal.append(next)->sequence == 4u);
    BOOST_TEST(journal.read(4, {"monitoring"})->payload == "{\"whole\":4}");

    // Retention, without routes_by_sequence: m1 and m2 go, their routes with them.
    auto state = bus::DeliveryState::open(file);
    BOOST_TEST(state.prune(2, "9999-12-31", "9999-12-31") == 4u);  // emptied, then deleted
    BOOST_TEST(journal.destinations(1).empty());
    BOOST_TEST(journal.read_after(0, 10, {"monitoring"}).size() == 1u);
  }
  BOOST_TEST(scalar(file, "PRAGMA page_size") == 4096);
  BOOST_TEST(scalar(file, "PRAGMA user_version") == 3);
  BOOST_TEST(scalar(file, "SELECT payload FROM routes WHERE sequence = 4 AND destination = 'monitoring'") == 0);
  BOOST_TEST(scalar(file, "SELECT COUNT(*) FROM routes WHERE payload IS NULL") == 0);  // its column is NOT NULL
  BOOST_TEST(scalar(file, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'routes_by_sequence'") == 0);
  // Retention deleted everything but 4; deleting 4 too, a reopened journal goes on after it.
  {
    auto state = bus::DeliveryState::open(file);
    BOOST_TEST(state.prune(4, "9999-12-31", "9999-12-31") == 2u);
  }
  BOOST_TEST(bus::Journal::open(file).append(input("m5"))->sequence == 5u);
}

BOOST_AUTO_TEST_CASE(a_journal_from_before_routing_rules_gets_routes_by_topic) {
  test::TempDir dir;
  const auto file = dir / "journal.db";
  {
    auto db = bus::sqlite::open(file.string());
    bus::sqlite::exec_or_throw(db.get(),
                               "CREATE TABLE journal (sequence INTEGER PRIMARY KEY AUTOINCREMENT, received_at TEXT NOT NULL,"
                               " sender_id TEXT NOT NULL, message_id TEXT NOT NULL, service_id TEXT NOT NULL, topic TEXT NOT NULL,"
                               " payload TEXT NOT NULL, document TEXT NOT NULL, UNIQUE(sender_id, message_id));"
                               "INSERT INTO journal(received_at, sender_id, message_id, service_id, topic, payload, document)"
                               " VALUES ('2026-01-01T00:00:00.000Z', 'akimat', 'm1', 'SERVICE_INFO', 'kb', '{\"kb\":1}', '<doc/>');");
  }
  auto journal = bus::Journal::open(file);
  BOOST_TEST(journal.read(1, {"kb"})->payload == "{\"kb\":1}");
  BOOST_TEST(journal.append(input("m2"))->sequence == 2u);
  BOOST_TEST(scalar(file, "PRAGMA user_version") == 3);
}

BOOST_AUTO_TEST_CASE(a_sequence_taken_behind_its_back_fails_one_batch_not_all_later) {
  // As after a COMMIT that reported an I/O error but reached the disk: the journal's count
  // is behind the file's. That batch fails; the next ones ask the file and go on after it.
  test::TempDir dir;
  auto journal = bus::Journal::open(dir / "journal.db");
  BOOST_REQUIRE(journal.append(input("m1")).ok());
  {
    auto db = bus::sqlite::open((dir / "journal.db").string());
    bus::sqlite::exec_or_throw(db.get(),
                               "INSERT INTO journal VALUES (2, '2026-01-01T00:00:00.000Z', 'akimat', 'behind', "
                               "'STAGE_NOTIFICATION', 'stage', '{}', '<doc/>')");
  }
  BOOST_TEST(!journal.append(input("m2")).ok());
  const auto next = journal.append(input("m2"));
  BOOST_REQUIRE(next.ok());
  BOOST_TEST(next->sequence == 3u);
  BOOST_TEST(journal.last_sequence() == 3u);
}

BOOST_AUTO_TEST_CASE(unwritable_location_fails_at_open) {
  BOOST_CHECK_THROW(bus::Journal::open("/proc/stagegate/journal.db"), std::exception);
}

BOOST_AUTO_TEST_SUITE_END()
