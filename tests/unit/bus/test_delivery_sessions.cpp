// The delivery state machine without sockets, on a clock the test moves: when a failure
// is counted and when it is not, and what a full queue does.
#include <boost/test/unit_test.hpp>

#include <sstream>

#include "delivery_sessions.h"
#include "support/temp_dir.h"

using namespace stagegate;
using namespace std::chrono_literals;

namespace {

struct RecordingOutbox final : bus::Outbox {
  std::vector<std::string> sent;  // "identity COMMAND first-field"
  bool full = false;
  bool send(const std::string& identity, std::initializer_list<std::string_view> frames) override {
    if (full) return false;
    auto it = frames.begin();
    std::string line = identity + " " + std::string(*it);
    if (++it != frames.end()) line += " " + std::string(*it);
    sent.push_back(line);
    return true;
  }
  std::vector<std::string> take() { return std::exchange(sent, {}); }
};

bus::DeliveryOptions quick() {
  bus::DeliveryOptions options;
  options.max_failures = 3;
  options.session_timeout = 2s;
  return options;
}

struct SessionsFixture {
  test::TempDir dir;
  bus::Journal journal = bus::Journal::open(dir / "journal.db");
  bus::DeliveryState state = bus::DeliveryState::open(journal.file());
  RecordingOutbox outbox;
  std::ostringstream log_text;
  bus::ProtocolLog log{log_text};
  bus::DeliveryOptions options = quick();
  bus::DeliverySessions::Clock::time_point t0 = bus::DeliverySessions::Clock::now();
  bus::DeliverySessions sessions{journal, state, outbox, log, options, t0};

  SessionsFixture() {
    for (int i = 1; i <= 3; ++i)
      BOOST_REQUIRE(journal.append(bus::JournalInput{"akimat", "m" + std::to_string(i), "S", "stage", "{}", "<d/>", {{"stage", "{}"}}}).ok());
    sessions.committed(journal.last_sequence());
  }

  void hello(const std::string& identity, const std::string& name, std::size_t window, std::chrono::milliseconds at) {
    sessions.hello(identity, bus::HelloRequest{name, "", {}, window, 0}, t0 + at);
  }
  // Keeps a connection alive (as its PINGs would) and runs the housekeeping up to `until`.
  void live_until(const std::vector<std::string>& identities, std::chrono::milliseconds until) {
    for (auto at = 0ms; at <= until; at += 500ms) {
      for (const auto& identity : identities) sessions.heard(identity, t0 + at);
      sessions.tick(t0 + at);
    }
  }
  // "sequence:failures" of each message that failed at the consumer.
  std::vector<std::string> failures(const std::string& name) const {
    std::vector<std::string> all;
    for (const auto& [sequence, count] : state.failures_after(name, 0)) all.push_back(std::to_string(sequence) + ":" + std::to_string(count));
    return all;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(delivery_sessions, SessionsFixture)

BOOST_AUTO_TEST_CASE(hellos_replacing_a_session_count_no_failure) {
  hello("A", "steady", 2, 0ms);
  BOOST_TEST(outbox.take() == (std::vector<std::string>{"A WELCOME 0", "A MSG 1", "A MSG 2"}), boost::test_tools::per_element());
  for (int i = 0; i < 100; ++i) hello("A", "steady", 2, 10ms);
  live_until({"A"}, 6000ms);
  BOOST_TEST(state.failures_after("steady", 0).empty());
  BOOST_TEST(sessions.connected() == 1u);
}

BOOST_AUTO_TEST_CASE(a_silent_session_counts_one_failure_of_its_first_message) {
  hello("A", "fragile", 2, 0ms);
  live_until({}, 3000ms);
  BOOST_TEST(failures("fragile") == (std::vector<std::string>{"1:1"}), boost::test_tools::per_element());
  BOOST_TEST(sessions.connected() == 0u);
}

BOOST_AUTO_TEST_CASE(a_connection_replaced_under_the_same_name_counts_only_when_never_heard_again) {
  hello("A", "fragile", 1, 0ms);  // a process that dies on 1
  hello("B", "fragile", 1, 500ms);
  live_until({"B"}, 3000ms);
  BOOST_TEST(failures("fragile") == (std::vector<std::string>{"1:1"}), boost::test_tools::per_element());

  hello("C", "fragile", 1, 3000ms);   // B is replaced ...
  sessions.heard("B", t0 + 3100ms);    // ... but speaks again: it was alive, not dead on 1
  live_until({"C"}, 6000ms);
  BOOST_TEST(failures("fragile") == (std::vector<std::string>{"1:1"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_replaced_connection_whose_message_was_handled_since_counts_nothing) {
  hello("A", "restarted", 1, 0ms);
  hello("B", "restarted", 1, 500ms);
  BOOST_TEST(sessions.acknowledge("B", 1));
  live_until({"B"}, 4000ms);
  BOOST_TEST(state.failures_after("restarted", 0).empty());
}

BOOST_AUTO_TEST_CASE(one_ack_covers_every_message_in_flight_up_to_it) {
  for (int i = 4; i <= 10; ++i)
    BOOST_REQUIRE(journal.append(bus::JournalInput{"akimat", "m" + std::to_string(i), "S", "stage", "{}", "<d/>", {{"stage", "{}"}}}).ok());
  sessions.committed(journal.last_sequence());
  hello("A", "batched", 4, 0ms);
  BOOST_TEST(outbox.take() == (std::vector<std::string>{"A WELCOME 0", "A MSG 1", "A MSG 2", "A MSG 3", "A MSG 4"}),
             boost::test_tools::per_element());
  BOOST_TEST(sessions.acknowledge("A", 3));  // 1, 2 and 3: one in flight, the window refills
  BOOST_TEST(outbox.take() == (std::vector<std::string>{"A MSG 5", "A MSG 6", "A MSG 7"}), boost::test_tools::per_element());
  BOOST_TEST(!sessions.acknowledge("A", 2));  // covered already
  BOOST_TEST(sessions.acknowledge("A", 6));   // 4, 5 and 6
  BOOST_TEST(outbox.take() == (std::vector<std::string>{"A MSG 8", "A MSG 9", "A MSG 10"}), boost::test_tools::per_element());
  BOOST_TEST(sessions.refuse("A", 9, "broken", t0 + 100ms));  // 7 and 8 handled, 9 failed
  BOOST_TEST(outbox.take() == (std::vector<std::string>{"A REWIND 8", "A MSG 9", "A MSG 10"}), boost::test_tools::per_element());
  BOOST_TEST(sessions.acknowledge("A", 10));
  sessions.persist(t0 + 200ms);
  BOOST_TEST(state.consumer("batched")->acknowledged == 10u);
  BOOST_TEST(sessions.slowest() == 10u);
  BOOST_TEST(failures("batched") == (std::vector<std::string>{"9:1"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_replaced_connection_counts_the_first_message_its_successor_had_not_stored) {
  hello("A", "crashy", 3, 0ms);  // handles 1 and 2 (its ACK held back), dies on 3
  sessions.hello("B", bus::HelloRequest{"crashy", "", {}, 3, 2}, t0 + 500ms);  // restarted: it stored 2
  live_until({"B"}, 3000ms);
  BOOST_TEST(failures("crashy") == (std::vector<std::string>{"3:1"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(acks_and_nacks_of_sequences_not_in_flight_are_ignored) {
  hello("A", "careful", 1, 0ms);
  BOOST_TEST(!sessions.acknowledge("A", 2));
  BOOST_TEST(!sessions.refuse("A", 3, "forged", t0));
  BOOST_TEST(!sessions.acknowledge("nobody", 1));
  BOOST_TEST(sessions.acknowledge("A", 1));
  BOOST_TEST(!sessions.acknowledge("A", 1));  // not in flight any more
  BOOST_TEST(state.failures_after("careful", 0).empty());
}

BOOST_AUTO_TEST_CASE(a_full_queue_holds_messages_back_until_the_next_tick) {
  outbox.full = true;
  hello("A", "slow", 2, 0ms);
  outbox.full = false;
  BOOST_TEST(outbox.take().empty());
  live_until({"A"}, 1000ms);
  BOOST_TEST(outbox.take() == (std::vector<std::string>{"A MSG 1", "A MSG 2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(hellos_beyond_the_budget_are_not_allowed) {
  int allowed = 0;
  for (int i = 0; i < 100; ++i) allowed += sessions.hello_allowed("A", "flood", t0);
  BOOST_TEST(allowed == 3);
  BOOST_TEST(sessions.hello_allowed("A", "flood", t0 + 1s));  // one a second again
  BOOST_TEST(!sessions.hello_allowed("A", "flood", t0 + 1s));
  int by_name = 0;
  for (int i = 0; i < 100; ++i) by_name += sessions.hello_allowed("conn" + std::to_string(i), "shared", t0);
  BOOST_TEST(by_name == 5);
}

BOOST_AUTO_TEST_CASE(entries_committed_but_not_yet_announced_wait_for_the_announcement) {
  // The journal's reader sees a commit a moment before the committer announces it; an entry
  // sent in that moment came back as an ACK "beyond the journal" and was refused.
  BOOST_REQUIRE(journal.append(bus::JournalInput{"akimat", "m4", "S", "stage", "{}", "<d/>", {{"stage", "{}"}}}).ok());
  hello("A", "eager", 10, 0ms);
  BOOST_TEST(outbox.take() == (std::vector<std::string>{"A WELCOME 0", "A MSG 1", "A MSG 2", "A MSG 3"}), boost::test_tools::per_element());
  BOOST_TEST(sessions.acknowledge("A", 3));
  sessions.committed(journal.last_sequence());
  BOOST_TEST(outbox.take() == (std::vector<std::string>{"A MSG 4"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
