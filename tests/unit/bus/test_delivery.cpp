#include <boost/test/unit_test.hpp>

#include "stagegate/bus/delivery_state.h"
#include "stagegate/bus/dispatcher.h"
#include "stagegate/bus/journal.h"
#include "stagegate/bus/subscriber.h"
#include "support/temp_dir.h"

#include <atomic>
#include <mutex>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

using namespace stagegate;
using namespace std::chrono_literals;

namespace {

bus::DeliveryOptions quick_failures() {
  bus::DeliveryOptions options;
  options.max_failures = 3;
  options.session_timeout = 2s;
  return options;
}

struct DeliveryFixture {
  test::TempDir dir;
  bus::Journal journal = bus::Journal::open(dir / "journal.db");
  std::unique_ptr<bus::Dispatcher> owned = std::make_unique<bus::Dispatcher>(journal, "tcp://127.0.0.1:*", quick_failures());
  bus::Dispatcher& dispatcher = *owned;

  bus::SubscriberConfig named(const std::string& name, std::size_t window = 64) const {
    return bus::SubscriberConfig{dispatcher.endpoint(), name, {}, window, 0};
  }

  // ACKs travel on the old connection and a new HELLO on another; the ROUTER may take the
  // HELLO first (then delivery is at least once, not exactly once). Tests that assert an
  // exact resume point wait for the gateway to have taken the ACKs.
  bool acknowledged_by_all(std::uint64_t sequence) const {
    for (int attempt = 0; attempt < 250; ++attempt) {
      if (dispatcher.stats().slowest_position >= sequence) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  // Waits for a condition, polling; false when it does not hold within the timeout.
  template <class Condition>
  static bool eventually(Condition condition, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(20ms);
    }
    return true;
  }

  // Receives up to `count` messages, acknowledging each; returns their sequences.
  static std::vector<std::uint64_t> take(bus::Subscriber& subscriber, std::size_t count, bool acknowledge = true) {
    std::vector<std::uint64_t> sequences;
    while (sequences.size() < count) {
      const auto message = subscriber.receive(5s);
      if (!message) break;
      sequences.push_back(message->sequence);
      if (acknowledge) subscriber.acknowledge(*message);
    }
    return sequences;
  }

  static std::vector<std::uint64_t> range(std::uint64_t from, std::uint64_t to) {
    std::vector<std::uint64_t> values;
    for (auto value = from; value <= to; ++value) values.push_back(value);
    return values;
  }

  void append(const std::string& id, const std::string& topic) {
    BOOST_REQUIRE(journal.append(bus::JournalInput{"akimat", id, "S", topic, "{\"id\":\"" + id + "\"}", "<d/>", {{topic, "{\"id\":\"" + id + "\"}"}}}).ok());
    dispatcher.notify();
  }
};

// Between one subscriber and the gateway (a DEALER each way): forwards every frame and
// keeps what the subscriber sent ("ACK 12", "NACK 13", ...), to count the frames on the wire.
class RecordingProxy {
 public:
  explicit RecordingProxy(const std::string& gateway) {
    for (auto* socket : {&front_, &back_}) socket->set(zmq::sockopt::linger, 0);
    front_.bind("tcp://127.0.0.1:*");
    endpoint_ = front_.get(zmq::sockopt::last_endpoint);
    back_.connect(gateway);
    thread_ = std::thread([this] { run(); });
  }
  ~RecordingProxy() {
    stopping_ = true;
    thread_.join();
  }
  RecordingProxy(const RecordingProxy&) = delete;
  RecordingProxy& operator=(const RecordingProxy&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  std::vector<std::string> sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
  }
  std::size_t count(std::string_view command) const {
    std::size_t n = 0;
    for (const auto& line : sent()) n += line.substr(0, line.find(' ')) == command;
    return n;
  }

 private:
  void run() {
    std::vector<zmq::message_t> frames;
    while (!stopping_) {
      zmq::pollitem_t items[] = {{front_.handle(), 0, ZMQ_POLLIN, 0}, {back_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 2, std::chrono::milliseconds(20));
      while (zmq::recv_multipart(front_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
        {
          std::lock_guard lock(mutex_);
          sent_.push_back(frames[0].to_string() + (frames.size() > 1 ? " " + frames[1].to_string() : ""));
        }
        zmq::send_multipart(back_, frames);
        frames.clear();
      }
      while (zmq::recv_multipart(back_, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
        zmq::send_multipart(front_, frames);
        frames.clear();
      }
    }
  }

  zmq::context_t context_{1};
  zmq::socket_t front_{context_, zmq::socket_type::dealer};
  zmq::socket_t back_{context_, zmq::socket_type::dealer};
  std::string endpoint_;
  mutable std::mutex mutex_;
  std::vector<std::string> sent_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
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
  BOOST_TEST(dispatcher.stats().last_sequence == 100u);
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

BOOST_AUTO_TEST_CASE(an_observer_starts_at_the_end_of_the_journal) {
  append("old", "stage");
  bus::Dispatcher second(journal, "tcp://127.0.0.1:*");
  bus::Subscriber subscriber(second.endpoint());
  BOOST_REQUIRE(subscriber.wait_ready(5s));
  BOOST_REQUIRE(journal.append(bus::JournalInput{"akimat", "new", "S", "stage", "{}", "<d/>", {{"stage", "{}"}}}).ok());
  second.notify();
  const auto message = subscriber.receive(5s);
  BOOST_REQUIRE(message.has_value());
  BOOST_TEST(message->sequence == 2u);
}

BOOST_AUTO_TEST_CASE(binding_a_taken_endpoint_throws) {
  BOOST_CHECK_THROW(bus::Dispatcher(journal, dispatcher.endpoint()), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(a_named_consumer_gets_the_history_and_resumes_after_its_acknowledged_position) {
  for (int i = 1; i <= 10; ++i) append("m" + std::to_string(i), "stage");
  {
    bus::Subscriber first(named("monitoring"));
    BOOST_TEST(take(first, 6) == range(1, 6), boost::test_tools::per_element());
    BOOST_TEST(take(first, 2, false) == range(7, 8), boost::test_tools::per_element());  // received, never acknowledged
  }
  BOOST_REQUIRE(acknowledged_by_all(6));
  bus::Subscriber again(named("monitoring"));
  BOOST_TEST(take(again, 4) == range(7, 10), boost::test_tools::per_element());
  BOOST_TEST(!again.receive(200ms).has_value());
}

BOOST_AUTO_TEST_CASE(after_a_gateway_restart_the_same_subscriber_resumes_without_loss_or_repeat) {
  for (int i = 1; i <= 10; ++i) append("m" + std::to_string(i), "stage");
  const auto endpoint = dispatcher.endpoint();
  bus::Subscriber consumer(bus::SubscriberConfig{endpoint, "notification", {}, 4, 0});
  BOOST_TEST(take(consumer, 5) == range(1, 5), boost::test_tools::per_element());
  std::this_thread::sleep_for(400ms);  // positions are written every 200 ms
  owned.reset();                       // the gateway goes away (its messages in flight are lost)
  for (int i = 11; i <= 12; ++i)
    BOOST_REQUIRE(journal.append(bus::JournalInput{"akimat", "m" + std::to_string(i), "S", "stage", "{}", "<d/>", {{"stage", "{}"}}}).ok());
  owned = std::make_unique<bus::Dispatcher>(journal, endpoint, quick_failures());
  // The subscriber notices the silence, says HELLO again and continues after 5.
  BOOST_TEST(take(consumer, 7) == range(6, 12), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(credit_bounds_the_messages_in_flight) {
  for (int i = 1; i <= 20; ++i) append("m" + std::to_string(i), "stage");
  bus::Subscriber slow(named("slow", 5));
  std::vector<bus::BusMessage> held;
  while (auto message = slow.receive(500ms)) held.push_back(*message);
  BOOST_TEST(held.size() == 5u);
  slow.acknowledge(held.back());  // cumulative: all five are handled
  BOOST_TEST(take(slow, 5, false) == range(6, 10), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_refused_message_is_redelivered_then_dead_lettered_then_replayed) {
  for (int i = 1; i <= 4; ++i) append("m" + std::to_string(i), "stage");
  bus::Subscriber consumer(named("kb"));
  std::vector<std::uint64_t> handled;
  int refusals = 0;
  while (auto message = consumer.receive(2s)) {
    if (message->sequence == 2 && !message->replay) {
      ++refusals;
      consumer.refuse(*message, "service code unknown");
      continue;
    }
    handled.push_back(message->sequence);
    consumer.acknowledge(*message);
    if (handled.size() == 3) break;
  }
  BOOST_TEST(refusals == 3);
  BOOST_TEST(handled == (std::vector<std::uint64_t>{1, 3, 4}), boost::test_tools::per_element());

  auto state = bus::DeliveryState::open(journal.file());
  const auto letters = state.dead_letters();
  BOOST_REQUIRE_EQUAL(letters.size(), 1u);
  BOOST_TEST(letters.front().consumer == "kb");
  BOOST_TEST(letters.front().sequence == 2u);
  BOOST_TEST(letters.front().failures == 3);
  BOOST_TEST(letters.front().reason == "service code unknown");

  BOOST_REQUIRE(state.replay(letters.front().id));
  const auto replayed = consumer.receive(5s);
  BOOST_REQUIRE(replayed.has_value());
  BOOST_TEST(replayed->sequence == 2u);
  BOOST_TEST(replayed->replay);
  consumer.acknowledge(*replayed);
  std::this_thread::sleep_for(300ms);
  BOOST_TEST(state.replays_for("kb").empty());
  BOOST_TEST(state.dead_letters().empty());
}

BOOST_AUTO_TEST_CASE(a_consumer_that_keeps_dying_on_a_message_dead_letters_it) {
  for (int i = 1; i <= 3; ++i) append("m" + std::to_string(i), "stage");
  for (int crash = 0; crash < 3; ++crash) {
    bus::Subscriber dying(named("fragile", 1));
    const auto message = dying.receive(5s);
    BOOST_REQUIRE(message.has_value());
    BOOST_TEST(message->sequence == 1u);  // it dies before acknowledging
  }
  // Each dead connection counts once it has been silent for the session timeout (2 s here):
  // the HELLO of the next process does not count by itself.
  auto state = bus::DeliveryState::open(journal.file());
  BOOST_REQUIRE(eventually([&] { return state.dead_letters().size() == 1; }, 10s));
  bus::Subscriber healthy(named("fragile", 1));
  BOOST_TEST(take(healthy, 2) == range(2, 3), boost::test_tools::per_element());
  const auto letters = state.dead_letters();
  BOOST_REQUIRE_EQUAL(letters.size(), 1u);
  BOOST_TEST(letters.front().sequence == 1u);
  BOOST_TEST(letters.front().failures == 3);
}

BOOST_AUTO_TEST_CASE(one_ack_frame_covers_many_messages_and_the_position_reaches_the_last) {
  // Four writers: appends share commits (group commit), so 1000 cost far fewer fsyncs.
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w)
    writers.emplace_back([this, w] {
      for (int i = 0; i < 250; ++i) {
        const auto id = "m" + std::to_string(w) + "-" + std::to_string(i);
        BOOST_REQUIRE(journal.append(bus::JournalInput{"akimat", id, "S", "stage", "{}", "<d/>", {{"stage", "{}"}}}).ok());
      }
    });
  for (auto& writer : writers) writer.join();
  dispatcher.notify();

  RecordingProxy proxy(dispatcher.endpoint());
  bus::Subscriber consumer(bus::SubscriberConfig{proxy.endpoint(), "bulk", {}, 64, 0});
  BOOST_TEST(take(consumer, 1000) == range(1, 1000), boost::test_tools::per_element());
  // Nothing more queued: waiting for the next message sends the ACK held back.
  BOOST_TEST(!consumer.receive(100ms).has_value());
  BOOST_REQUIRE(acknowledged_by_all(1000));
  const auto acks = proxy.count("ACK");
  BOOST_TEST_MESSAGE("ACK frames for 1000 messages in windows of 64: " << acks);
  BOOST_TEST(acks >= 1000u / 32);  // at least one per half window: credit never runs out
  BOOST_TEST(acks <= 100u);
  BOOST_TEST(proxy.count("NACK") == 0u);
  auto state = bus::DeliveryState::open(journal.file());
  BOOST_TEST(eventually([&] { return state.consumer("bulk")->acknowledged == 1000u; }, 5s));  // stored, not only in memory
}

BOOST_AUTO_TEST_CASE(an_observer_gives_credit_back_in_few_frames) {
  RecordingProxy proxy(dispatcher.endpoint());
  bus::Subscriber observer(bus::SubscriberConfig{proxy.endpoint(), "", {}, 64, 0});
  BOOST_REQUIRE(observer.wait_ready(5s));
  std::thread writer([this] {
    for (int i = 1; i <= 1000; ++i) append("m" + std::to_string(i), "stage");  // one commit each
  });
  std::vector<std::uint64_t> received;
  while (received.size() < 1000) {
    const auto message = observer.receive(5s);
    if (!message) break;
    received.push_back(message->sequence);
  }
  writer.join();
  BOOST_TEST(received == range(1, 1000), boost::test_tools::per_element());  // credit never ran out
  // The last ACK goes after 200 ms with nothing else to do, and crosses the proxy after that:
  // counted once every frame sent has arrived.
  BOOST_TEST(!observer.receive(300ms).has_value());
  BOOST_TEST(eventually([&] { return proxy.count("ACK") >= 1000u / 32; }, 2s));
  const auto acks = proxy.count("ACK");
  BOOST_TEST_MESSAGE("an observer's ACK frames for 1000 messages in windows of 64: " << acks);
  BOOST_TEST(acks <= 100u);
}

BOOST_AUTO_TEST_CASE(an_ack_held_back_goes_before_a_nack_and_the_refused_message_comes_again) {
  for (int i = 1; i <= 20; ++i) append("m" + std::to_string(i), "stage");
  RecordingProxy proxy(dispatcher.endpoint());
  bus::Subscriber consumer(bus::SubscriberConfig{proxy.endpoint(), "picky", {}, 64, 0});
  BOOST_TEST(take(consumer, 10) == range(1, 10), boost::test_tools::per_element());
  const auto refused = consumer.receive(5s);
  BOOST_REQUIRE(refused.has_value());
  BOOST_REQUIRE_EQUAL(refused->sequence, 11u);
  consumer.refuse(*refused, "not yet");
  BOOST_TEST(take(consumer, 10) == range(11, 20), boost::test_tools::per_element());  // 11 again, then the rest
  BOOST_TEST(!consumer.receive(100ms).has_value());
  BOOST_REQUIRE(acknowledged_by_all(20));

  const auto sent = proxy.sent();
  const auto nack = std::find(sent.begin(), sent.end(), "NACK 11");
  BOOST_REQUIRE(nack != sent.end());
  BOOST_REQUIRE(nack != sent.begin());
  BOOST_TEST(*(nack - 1) == "ACK 10");  // what was handled reaches the gateway before the NACK
  auto state = bus::DeliveryState::open(journal.file());
  const auto failures = state.failures_after("picky", 0);
  BOOST_REQUIRE_EQUAL(failures.size(), 1u);
  BOOST_TEST(failures.begin()->first == 11u);
  BOOST_TEST(failures.begin()->second == 1);
}

BOOST_AUTO_TEST_CASE(a_closing_subscriber_sends_the_ack_it_held_back) {
  for (int i = 1; i <= 10; ++i) append("m" + std::to_string(i), "stage");
  {
    bus::Subscriber consumer(named("brief"));
    BOOST_TEST(take(consumer, 10) == range(1, 10), boost::test_tools::per_element());
  }
  BOOST_REQUIRE(acknowledged_by_all(10));
}

BOOST_AUTO_TEST_CASE(backlog_past_the_limit_refuses_admission) {
  bus::DeliveryOptions options;
  options.max_backlog = 5;
  bus::Dispatcher limited(journal, "tcp://127.0.0.1:*", options);
  {
    bus::Subscriber registered(bus::SubscriberConfig{limited.endpoint(), "archive", {}, 1, 0});
    BOOST_REQUIRE(registered.wait_ready(5s));
  }
  BOOST_TEST(limited.admission().ok());
  for (int i = 1; i <= 5; ++i) {
    BOOST_REQUIRE(journal.append(bus::JournalInput{"akimat", "m" + std::to_string(i), "S", "stage", "{}", "<d/>", {{"stage", "{}"}}}).ok());
    limited.notify();
  }
  std::this_thread::sleep_for(300ms);
  const auto admission = limited.admission();
  BOOST_REQUIRE(!admission.ok());
  BOOST_TEST(admission.refusal().code == Code::Overloaded);
  BOOST_TEST(limited.stats().backlog == 5u);
}

BOOST_AUTO_TEST_SUITE_END()
