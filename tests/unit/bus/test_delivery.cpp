#include <boost/test/unit_test.hpp>

#include "stagegate/bus/dispatcher.h"
#include "stagegate/bus/journal.h"
#include "stagegate/bus/subscriber.h"
#include "support/temp_dir.h"

using namespace stagegate;
using namespace std::chrono_literals;

namespace {

struct DeliveryFixture {
  test::TempDir dir;
  bus::Journal journal = bus::Journal::open(dir / "journal.db");
  bus::Dispatcher dispatcher{journal, "tcp://127.0.0.1:*"};

  void append(const std::string& id, const std::string& topic) {
    BOOST_REQUIRE(journal.append(bus::JournalInput{"akimat", id, "S", topic, "{\"id\":\"" + id + "\"}", "<d/>"}).ok());
    dispatcher.notify();
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(delivery, DeliveryFixture)

BOOST_AUTO_TEST_CASE(endpoint_reports_the_bound_port) {
  BOOST_TEST(dispatcher.endpoint().rfind("tcp://127.0.0.1:", 0) == 0u);
  BOOST_TEST(dispatcher.endpoint().find('*') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(subscriber_receives_every_message_in_journal_order) {
  bus::Subscriber subscriber(dispatcher.endpoint());
  BOOST_REQUIRE(subscriber.wait_ready(5s));
  for (int i = 1; i <= 100; ++i) append("m" + std::to_string(i), "stage");
  for (std::uint64_t expected = 1; expected <= 100; ++expected) {
    const auto message = subscriber.receive(5s);
    BOOST_REQUIRE(message.has_value());
    BOOST_TEST(message->sequence == expected);
    BOOST_TEST(message->topic == "stage");
    BOOST_TEST(message->payload == "{\"id\":\"m" + std::to_string(expected) + "\"}");
  }
  BOOST_TEST(dispatcher.published_sequence() == 100u);
  BOOST_TEST(!subscriber.receive(100ms).has_value());
}

BOOST_AUTO_TEST_CASE(topic_filter_delivers_only_that_topic) {
  bus::Subscriber kb_only(dispatcher.endpoint(), {"kb"});
  BOOST_REQUIRE(kb_only.wait_ready(5s));
  append("s1", "stage");
  append("k1", "kb");
  append("s2", "stage");
  const auto message = kb_only.receive(5s);
  BOOST_REQUIRE(message.has_value());
  BOOST_TEST(message->topic == "kb");
  BOOST_TEST(message->sequence == 2u);
  BOOST_TEST(!kb_only.receive(300ms).has_value());
}

BOOST_AUTO_TEST_CASE(nothing_arriving_is_not_an_error) {
  bus::Subscriber subscriber(dispatcher.endpoint());
  BOOST_REQUIRE(subscriber.wait_ready(5s));
  BOOST_TEST(!subscriber.receive(50ms).has_value());
}

BOOST_AUTO_TEST_CASE(a_dispatcher_started_later_publishes_only_new_entries) {
  append("old", "stage");
  bus::Dispatcher second(journal, "tcp://127.0.0.1:*");
  bus::Subscriber subscriber(second.endpoint());
  BOOST_REQUIRE(subscriber.wait_ready(5s));
  BOOST_REQUIRE(journal.append(bus::JournalInput{"akimat", "new", "S", "stage", "{}", "<d/>"}).ok());
  second.notify();
  const auto message = subscriber.receive(5s);
  BOOST_REQUIRE(message.has_value());
  BOOST_TEST(message->sequence == 2u);
}

BOOST_AUTO_TEST_CASE(binding_a_taken_endpoint_throws) {
  BOOST_CHECK_THROW(bus::Dispatcher(journal, dispatcher.endpoint()), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
