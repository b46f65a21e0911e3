#define BOOST_TEST_MODULE bus
#include <boost/test/unit_test.hpp>

#include <set>
#include <thread>

#include "stagegate/bus/delivery_state.h"
#include "stagegate/bus/journal.h"
#include "support/temp_dir.h"

using namespace stagegate;

namespace {

bus::JournalInput input(const std::string& message_id, const std::string& topic = "stage") {
  return bus::JournalInput{"akimat", message_id, "STAGE_NOTIFICATION", topic, "{\"n\":\"" + message_id + "\"}", "<doc/>",
                           {{topic, "{\"n\":\"" + message_id + "\"}"}}};
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

  // Everything is old enough to empty, nothing to remove; all acknowledged up to 2.
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

BOOST_AUTO_TEST_CASE(unwritable_location_fails_at_open) {
  BOOST_CHECK_THROW(bus::Journal::open("/proc/stagegate/journal.db"), std::exception);
}

BOOST_AUTO_TEST_SUITE_END()
