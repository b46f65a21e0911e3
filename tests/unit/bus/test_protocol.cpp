// The delivery protocol against careless and hostile consumers: a raw DEALER sends what
// bus::Subscriber never would, against a real dispatcher, journal and delivery state.
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <thread>

#include "stagegate/bus/delivery_state.h"
#include "stagegate/bus/dispatcher.h"
#include "stagegate/bus/journal.h"
#include "stagegate/bus/subscriber.h"
#include "support/raw_consumer.h"
#include "support/temp_dir.h"

using namespace stagegate;
using namespace std::chrono_literals;

namespace {

template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

struct ProtocolFixture {
  test::TempDir dir;
  bus::Journal journal = bus::Journal::open(dir / "journal.db");
  bus::DeliveryState state = bus::DeliveryState::open(journal.file());
  std::unique_ptr<bus::Dispatcher> dispatcher;

  ProtocolFixture() { start(); }

  void start(bus::DeliveryOptions options = {}) {
    options.max_failures = 3;
    options.session_timeout = 2s;
    dispatcher.reset();
    dispatcher = std::make_unique<bus::Dispatcher>(journal, "tcp://127.0.0.1:*", options);
  }

  void append(int count) {
    const auto first = journal.last_sequence() + 1;
    for (auto i = first; i < first + static_cast<std::uint64_t>(count); ++i)
      BOOST_REQUIRE(journal.append(bus::JournalInput{"akimat", "m" + std::to_string(i), "S", "stage", "{}", "<d/>", {{"stage", "{}"}}}).ok());
    dispatcher->notify();
  }

  std::uint64_t stored_position(const std::string& name) const {
    const auto consumer = state.consumer(name);
    return consumer ? consumer->acknowledged : 0;
  }

  static std::vector<std::string> commands(const std::vector<test::RawConsumer::Frames>& all) {
    std::vector<std::string> names;
    for (const auto& frames : all) names.push_back(frames.empty() ? "" : frames.front() + (frames.size() > 1 ? " " + frames[1] : ""));
    return names;
  }
};

using Strings = std::vector<std::string>;

}  // namespace

BOOST_FIXTURE_TEST_SUITE(protocol, ProtocolFixture)

BOOST_AUTO_TEST_CASE(a_forged_position_is_refused_and_never_stored) {
  append(3);
  test::RawConsumer forger(dispatcher->endpoint());
  forger.send({"HELLO", "monitoring", "", "10", "1000000"});
  const auto error = forger.expect("ERROR", 5s);
  BOOST_REQUIRE(error.has_value());
  BOOST_TEST(error->at(1) == "processed position 1000000 is beyond the journal's last sequence 3");
  BOOST_TEST(forger.drain(300ms).empty());  // no WELCOME, no message
  BOOST_TEST(!state.consumer("monitoring").has_value());
  BOOST_TEST(dispatcher->stats().backlog == 0u);  // no consumer known: nothing held back

  // The real consumer gets everything.
  bus::Subscriber real(bus::SubscriberConfig{dispatcher->endpoint(), "monitoring", {}, 10, 0});
  for (std::uint64_t expected = 1; expected <= 3; ++expected) {
    const auto message = real.receive(5s);
    BOOST_REQUIRE(message.has_value());
    BOOST_TEST(message->sequence == expected);
    real.acknowledge(*message);
  }
  BOOST_TEST(eventually([&] { return stored_position("monitoring") == 3; }, 5s));
}

BOOST_AUTO_TEST_CASE(a_subscriber_shows_why_it_is_refused) {
  append(2);
  bus::Subscriber ahead(bus::SubscriberConfig{dispatcher->endpoint(), "archive", {}, 8, 7});  // a store from another journal
  BOOST_TEST(!ahead.wait_ready(1500ms));
  BOOST_TEST(ahead.last_error() == "processed position 7 is beyond the journal's last sequence 2");
  BOOST_TEST(!state.consumer("archive").has_value());
}

BOOST_AUTO_TEST_CASE(acks_beyond_the_journal_are_refused_and_acks_of_undelivered_sequences_ignored) {
  append(5);
  test::RawConsumer consumer(dispatcher->endpoint());
  consumer.send({"HELLO", "mon", "", "2", "0"});
  BOOST_REQUIRE(consumer.expect("WELCOME", 5s).has_value());
  BOOST_TEST(consumer.expect("MSG", 5s)->at(1) == "1");
  BOOST_TEST(consumer.expect("MSG", 5s)->at(1) == "2");

  consumer.send({"ACK", "999"});
  const auto error = consumer.expect("ERROR", 5s);
  BOOST_REQUIRE(error.has_value());
  BOOST_TEST(error->at(1) == "ACK 999 is beyond the journal's last sequence 5");
  consumer.send({"ACK", "4"});  // journaled, never delivered to this session
  BOOST_TEST(consumer.drain(400ms).empty());
  std::this_thread::sleep_for(300ms);  // positions are saved every 200 ms
  BOOST_TEST(stored_position("mon") == 0u);
  BOOST_TEST(dispatcher->stats().slowest_position == 0u);

  consumer.send({"ACK", "2"});  // in flight: cumulative
  BOOST_TEST(consumer.expect("MSG", 5s)->at(1) == "3");
  BOOST_TEST(consumer.expect("MSG", 5s)->at(1) == "4");
  BOOST_TEST(eventually([&] { return stored_position("mon") == 2; }, 5s));
}

BOOST_AUTO_TEST_CASE(a_nack_of_a_sequence_not_in_flight_is_ignored) {
  append(3);
  test::RawConsumer consumer(dispatcher->endpoint());
  consumer.send({"HELLO", "mon", "", "1", "0"});
  BOOST_TEST(consumer.expect("MSG", 5s)->at(1) == "1");
  consumer.send({"NACK", "3", "forged"});
  consumer.send({"NACK", "2", "forged"});
  BOOST_TEST(consumer.drain(400ms).empty());  // no REWIND, nothing redelivered
  BOOST_TEST(state.failures_after("mon", 0).empty());

  consumer.send({"NACK", "1", "really refused"});
  const auto rewind = consumer.expect("REWIND", 5s);
  BOOST_REQUIRE(rewind.has_value());
  BOOST_TEST(rewind->at(1) == "0");
  BOOST_TEST(consumer.expect("MSG", 5s)->at(1) == "1");
  const auto failures = state.failures_after("mon", 0);
  BOOST_REQUIRE_EQUAL(failures.size(), 1u);
  BOOST_TEST(failures.front().first == 1u);
  BOOST_TEST(failures.front().second == 1);
}

BOOST_AUTO_TEST_CASE(malformed_frames_are_dropped_and_bad_hellos_refused) {
  append(2);
  test::RawConsumer consumer(dispatcher->endpoint());
  consumer.send({"FOO", "1"});
  consumer.send({"HELLO", "mon"});                  // too few fields
  consumer.send({"HELLO", "mon", "", "1", "0", "x"});  // too many
  consumer.send({"ACK", "abc"});
  consumer.send({"ACK", "0"});
  consumer.send({"ACK"});
  consumer.send({"NACK", "1"});                     // no reason frame
  consumer.send({""});
  BOOST_TEST(consumer.drain(400ms).empty());  // dropped (and logged), not answered
  consumer.send({"HELLO", "mon\n2026-11-23T00:00:00Z accepted seq=1", "", "1", "0"});
  consumer.send({"HELLO", "mon", "stage,", "1", "0"});
  consumer.send({"HELLO", "mon", "", "0", "0"});
  BOOST_TEST(commands(consumer.drain(400ms)) ==
                 (Strings{"ERROR consumer name must be 1 to 64 of [A-Za-z0-9._-]", "ERROR empty destination",
                          "ERROR window must be a positive number"}),
             boost::test_tools::per_element());
  BOOST_TEST(!state.consumer("mon").has_value());
  consumer.send({"HELLO", "mon", "stage", "4", "0"});  // past the connection's budget of 3: dropped
  BOOST_TEST(consumer.drain(300ms).empty());
  std::this_thread::sleep_for(1s);  // the budget refills at one a second
  consumer.send({"HELLO", "mon", "stage", "4", "0"});
  BOOST_TEST(commands(consumer.drain(400ms)) == (Strings{"WELCOME 0", "MSG 1", "MSG 2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_frame_over_64_kib_drops_the_connection_unread) {
  append(1);
  test::RawConsumer consumer(dispatcher->endpoint());
  consumer.send({"HELLO", std::string(100 * 1024, 'a'), "", "1", "0"});
  BOOST_TEST(consumer.drain(500ms).empty());  // not even an ERROR: it was never read
  BOOST_TEST(dispatcher->stats().connected == 0u);
  // The DEALER connects again by itself; a proper HELLO is welcomed.
  BOOST_TEST(eventually([&] {
    consumer.send({"HELLO", "", "", "1", "0"});
    return consumer.expect("WELCOME", 300ms).has_value();
  }, 10s));
}

BOOST_AUTO_TEST_CASE(a_hello_storm_costs_no_message_a_failure) {
  append(5);
  test::RawConsumer stormy(dispatcher->endpoint());
  for (int i = 0; i < 200; ++i) stormy.send({"HELLO", "steady", "", "5", "0"});  // each with 5 messages in flight
  const auto answers = stormy.drain(500ms);
  std::size_t welcomes = 0, refusals = 0;
  for (const auto& frames : answers) {
    welcomes += frames.front() == "WELCOME";
    refusals += frames.front() == "ERROR";
  }
  BOOST_TEST_MESSAGE("200 HELLOs: " << welcomes << " welcomed, " << refusals << " refused");
  BOOST_TEST(welcomes >= 1u);
  BOOST_TEST(welcomes <= 10u);  // the rest are dropped cheaply: too many HELLOs
  BOOST_TEST(refusals == 0u);
  for (int second = 0; second < 5; ++second) {  // past the session timeout, alive (pinging like Subscriber)
    stormy.send({"PING"});
    BOOST_TEST(stormy.expect("PONG", 5s).has_value());
    std::this_thread::sleep_for(500ms);
  }
  stormy.send({"ACK", "5"});
  BOOST_TEST(eventually([&] { return stored_position("steady") == 5; }, 5s));
  BOOST_TEST(state.failures_after("steady", 0).empty());
  BOOST_TEST(state.dead_letters().empty());
}

BOOST_AUTO_TEST_CASE(a_storage_error_is_reported_and_delivery_recovers_when_it_clears) {
  append(4);
  bus::Subscriber keeper(bus::SubscriberConfig{dispatcher->endpoint(), "keeper", {}, 2, 0});
  for (std::uint64_t expected = 1; expected <= 2; ++expected) {
    const auto message = keeper.receive(5s);
    BOOST_REQUIRE(message.has_value());
    BOOST_TEST(message->sequence == expected);
    keeper.acknowledge(*message);
  }
  BOOST_REQUIRE(eventually([&] { return stored_position("keeper") == 2; }, 5s));

  // Another connection holds the write lock: every write of the delivery state fails (busy).
  sqlite3* raw = nullptr;
  BOOST_REQUIRE(sqlite3_open(journal.file().c_str(), &raw) == SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> locker(raw, &sqlite3_close);
  BOOST_REQUIRE(sqlite3_exec(locker.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  for (std::uint64_t expected = 3; expected <= 4; ++expected) {
    const auto message = keeper.receive(20s);  // the delivery thread waits out the busy timeout
    BOOST_REQUIRE(message.has_value());
    BOOST_TEST(message->sequence == expected);
    keeper.acknowledge(*message);
  }
  BOOST_REQUIRE(eventually([&] { return !dispatcher->stats().storage_error.empty(); }, 20s));
  BOOST_TEST_MESSAGE("reported: " << dispatcher->stats().storage_error);
  BOOST_TEST(dispatcher->stats().storage_error.find("saving consumers' positions") != std::string::npos);
  BOOST_TEST(stored_position("keeper") == 2u);

  BOOST_REQUIRE(sqlite3_exec(locker.get(), "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  BOOST_TEST(eventually([&] { return dispatcher->stats().storage_error.empty(); }, 20s));
  BOOST_TEST(eventually([&] { return stored_position("keeper") == 4; }, 10s));
  append(1);  // and delivery goes on
  const auto next = keeper.receive(5s);
  BOOST_REQUIRE(next.has_value());
  BOOST_TEST(next->sequence == 5u);
}

BOOST_AUTO_TEST_CASE(sessions_are_bounded_and_the_oldest_observer_gives_way) {
  bus::DeliveryOptions options;
  options.max_sessions = 2;
  start(options);
  test::RawConsumer observer(dispatcher->endpoint()), first(dispatcher->endpoint()), second(dispatcher->endpoint()),
      late(dispatcher->endpoint());
  observer.send({"HELLO", "", "", "1", "0"});
  BOOST_REQUIRE(observer.expect("WELCOME", 5s).has_value());
  first.send({"HELLO", "first", "", "1", "0"});
  BOOST_REQUIRE(first.expect("WELCOME", 5s).has_value());
  second.send({"HELLO", "second", "", "1", "0"});
  BOOST_REQUIRE(second.expect("WELCOME", 5s).has_value());
  const auto evicted = observer.expect("ERROR", 5s);
  BOOST_REQUIRE(evicted.has_value());
  BOOST_TEST(evicted->at(1) == "session closed: too many sessions; say HELLO again later");
  late.send({"HELLO", "late", "", "1", "0"});
  const auto refused = late.expect("ERROR", 5s);
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->at(1) == "too many sessions; say HELLO again later");
  BOOST_TEST(dispatcher->stats().connected == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
