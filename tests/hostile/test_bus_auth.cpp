// An attacker on the bus port: a real Dispatcher with CURVE on tcp://127.0.0.1:*, a real
// journal, raw ZeroMQ clients with and without keys, and the real subscriber.
#define BOOST_TEST_MODULE hostile_bus_auth
#include <boost/test/unit_test.hpp>
#include <fstream>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "stagegate/bus/consumer_registry.h"
#include "stagegate/bus/curve_keys.h"
#include "stagegate/bus/delivery_state.h"
#include "stagegate/bus/dispatcher.h"
#include "stagegate/bus/journal.h"
#include "stagegate/bus/subscriber.h"
#include "support/temp_dir.h"

using namespace stagegate;
using namespace std::chrono_literals;

namespace {

constexpr auto kSilence = 2000ms;  // what "receives nothing" waits

struct Frames {
  std::vector<std::string> parts;
  bool empty() const { return parts.empty(); }
};

// A hand-made consumer speaking the wire protocol, optionally with CURVE keys.
class RawClient {
 public:
  RawClient(const std::string& endpoint, const bus::CurveKeyPair* own, const std::string& server_public_key,
            const std::string& routing_id = "") {
    socket_.set(zmq::sockopt::linger, 0);
    if (!routing_id.empty()) socket_.set(zmq::sockopt::routing_id, routing_id);
    if (own) {
      socket_.set(zmq::sockopt::curve_serverkey, server_public_key);
      socket_.set(zmq::sockopt::curve_publickey, own->public_key);
      socket_.set(zmq::sockopt::curve_secretkey, own->secret_key);
    }
    socket_.connect(endpoint);
  }

  void hello(const std::string& name, const std::string& destinations, const std::string& processed = "0") {
    send({"HELLO", name, destinations, "64", processed});
  }

  void send(const std::vector<std::string>& frames) {
    std::vector<zmq::const_buffer> parts;
    for (const auto& frame : frames) parts.push_back(zmq::buffer(frame));
    zmq::send_multipart(socket_, parts, zmq::send_flags::dontwait);
  }

  // Messages until none comes within `quiet`; their first frames.
  std::vector<std::string> drain(std::chrono::milliseconds quiet) {
    std::vector<std::string> commands;
    for (auto next = receive(quiet); !next.empty(); next = receive(quiet)) commands.push_back(next.parts.at(0));
    return commands;
  }

  // The next message within `timeout`, or nothing.
  Frames receive(std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return {};
    std::vector<zmq::message_t> messages;
    if (!zmq::recv_multipart(socket_, std::back_inserter(messages))) return {};
    Frames frames;
    for (const auto& message : messages) frames.parts.push_back(message.to_string());
    return frames;
  }

 private:
  zmq::context_t context_{1};
  zmq::socket_t socket_{context_, zmq::socket_type::dealer};
};

struct SecuredBus {
  test::TempDir dir{"stagegate-hostile-bus"};
  bus::CurveKeyPair server = bus::generate_curve_key_pair();
  bus::CurveKeyPair monitoring = bus::generate_curve_key_pair();
  bus::CurveKeyPair notification = bus::generate_curve_key_pair();
  bus::CurveKeyPair stranger = bus::generate_curve_key_pair();
  bus::Journal journal = bus::Journal::open(dir / "journal.db");
  std::unique_ptr<bus::Dispatcher> dispatcher;

  SecuredBus() {
    write_consumers(true);
    bus::DeliveryOptions options;
    options.security = bus::BusSecurity{server.secret_key, consumers_file()};
    dispatcher = std::make_unique<bus::Dispatcher>(journal, "tcp://127.0.0.1:*", options);
    for (int i = 1; i <= 6; ++i) append("m" + std::to_string(i), i % 2 ? "monitoring" : "notification");
  }

  std::filesystem::path consumers_file() const { return dir / "consumers.conf"; }

  void write_consumers(bool with_notification) const {
    std::ofstream file(consumers_file());
    file << "# test consumers\n"
         << bus::ConsumerRegistry::format_line({"monitoring", monitoring.public_key, {"monitoring"}, false}) << '\n';
    if (with_notification)
      file << bus::ConsumerRegistry::format_line({"notification", notification.public_key, {"notification"}, false}) << '\n';
  }

  void append(const std::string& id, const std::string& topic) {
    const auto payload = "{\"id\":\"" + id + "\",\"iin\":\"880501300451\"}";
    BOOST_REQUIRE(journal.append(bus::JournalInput{"akimat", id, "S", topic, payload, "<d/>", {{topic, payload}}}).ok());
    dispatcher->notify();
  }

  bus::SubscriberConfig consumer(const std::string& name, const std::string& destination, const bus::CurveKeyPair& keys,
                                 const std::string& server_public_key) const {
    bus::SubscriberConfig config;
    config.endpoint = dispatcher->endpoint();
    config.name = name;
    config.topics = {destination};
    config.server_public_key = server_public_key;
    config.public_key = keys.public_key;
    config.secret_key = keys.secret_key;
    return config;
  }

  std::uint64_t stored_position(const std::string& name) const {
    const auto known = bus::DeliveryState::open(journal.file()).consumer(name);
    return known ? known->acknowledged : 0;
  }
};

std::vector<std::uint64_t> take(bus::Subscriber& subscriber, std::size_t count) {
  std::vector<std::uint64_t> sequences;
  while (sequences.size() < count) {
    const auto message = subscriber.receive(5s);
    if (!message) break;
    sequences.push_back(message->sequence);
    subscriber.acknowledge(*message);
  }
  return sequences;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(bus_auth, SecuredBus, *boost::unit_test::timeout(60))

BOOST_AUTO_TEST_CASE(a_raw_client_without_curve_receives_nothing) {
  RawClient raw(dispatcher->endpoint(), nullptr, "");
  raw.hello("", "");
  raw.hello("monitoring", "monitoring", "999999");
  BOOST_TEST(raw.receive(kSilence).empty());
  BOOST_TEST(stored_position("monitoring") == 0u);
  BOOST_TEST(dispatcher->stats().connected == 0u);
}

BOOST_AUTO_TEST_CASE(a_curve_client_with_an_unregistered_key_receives_nothing) {
  RawClient intruder(dispatcher->endpoint(), &stranger, server.public_key);
  intruder.hello("", "");
  intruder.hello("monitoring", "monitoring", "999999");
  BOOST_TEST(intruder.receive(kSilence).empty());
  BOOST_TEST(stored_position("monitoring") == 0u);

  // The subscriber library tells the refused handshake from silence.
  bus::Subscriber subscriber(consumer("monitoring", "monitoring", stranger, server.public_key));
  BOOST_TEST(!subscriber.wait_ready(5s));
  BOOST_TEST(subscriber.last_error() == "the gateway refused this consumer's key (it is not in the gateway's consumers file)");
  BOOST_TEST(!subscriber.receive(300ms).has_value());
}

BOOST_AUTO_TEST_CASE(a_registered_key_asking_an_ungranted_destination_is_denied_with_the_reason_and_nothing_else) {
  RawClient client(dispatcher->endpoint(), &monitoring, server.public_key);
  client.hello("monitoring", "monitoring,notification");
  const auto reply = client.receive(5s);
  BOOST_TEST(reply.parts == (std::vector<std::string>{"DENIED", "destination notification is not granted to consumer monitoring"}),
             boost::test_tools::per_element());
  BOOST_TEST(client.receive(kSilence).empty());

  // The same refusal through the subscriber library: wait_ready false, last_error says why.
  bus::Subscriber subscriber(consumer("monitoring", "notification", monitoring, server.public_key));
  BOOST_TEST(!subscriber.wait_ready(5s));
  BOOST_TEST(subscriber.last_error() == "destination notification is not granted to consumer monitoring");
  BOOST_TEST(!subscriber.receive(500ms).has_value());

  // And an observer HELLO from a key without `observe`.
  RawClient observer(dispatcher->endpoint(), &monitoring, server.public_key);
  observer.hello("", "");
  const auto observed = observer.receive(5s);
  BOOST_TEST(observed.parts == (std::vector<std::string>{"DENIED", "a HELLO without a name observes whole messages, which consumer monitoring may not"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(another_consumers_name_is_denied_and_its_stored_position_is_unchanged) {
  {
    bus::Subscriber real(consumer("monitoring", "monitoring", monitoring, server.public_key));
    BOOST_REQUIRE(real.wait_ready(5s));
    BOOST_TEST(take(real, 3) == (std::vector<std::uint64_t>{1, 3, 5}), boost::test_tools::per_element());
    for (int attempt = 0; attempt < 250 && stored_position("monitoring") < 5; ++attempt) std::this_thread::sleep_for(20ms);
  }
  // 6: what follows 5 is not for monitoring, so it counts as handled too.
  const auto before = stored_position("monitoring");
  BOOST_REQUIRE(before == 6u);

  RawClient hijacker(dispatcher->endpoint(), &notification, server.public_key);
  hijacker.hello("monitoring", "monitoring", "999999");
  const auto reply = hijacker.receive(5s);
  BOOST_TEST(reply.parts == (std::vector<std::string>{"DENIED", "the name \"monitoring\" is not bound to this key (it belongs to consumer notification)"}),
             boost::test_tools::per_element());
  BOOST_TEST(hijacker.receive(kSilence).empty());
  BOOST_TEST(stored_position("monitoring") == before);

  append("m7", "monitoring");
  bus::Subscriber back(consumer("monitoring", "monitoring", monitoring, server.public_key));
  BOOST_REQUIRE(back.wait_ready(5s));
  BOOST_TEST(take(back, 1) == (std::vector<std::uint64_t>{7}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_right_key_and_destination_receive_their_messages) {
  bus::Subscriber subscriber(consumer("notification", "notification", notification, server.public_key));
  BOOST_REQUIRE(subscriber.wait_ready(5s));
  BOOST_TEST(subscriber.last_error().empty());
  BOOST_TEST(take(subscriber, 3) == (std::vector<std::uint64_t>{2, 4, 6}), boost::test_tools::per_element());
  BOOST_TEST(!subscriber.receive(300ms).has_value());
}

BOOST_AUTO_TEST_CASE(a_client_with_the_wrong_server_key_receives_nothing) {
  const auto impostor = bus::generate_curve_key_pair();
  bus::Subscriber subscriber(consumer("notification", "notification", notification, impostor.public_key));
  BOOST_TEST(!subscriber.wait_ready(kSilence));
  BOOST_TEST(!subscriber.receive(500ms).has_value());
  RawClient raw(dispatcher->endpoint(), &notification, impostor.public_key);
  raw.hello("notification", "notification");
  BOOST_TEST(raw.receive(kSilence).empty());
}

BOOST_AUTO_TEST_CASE(a_key_removed_from_the_file_gets_no_new_session_and_its_open_session_ends) {
  RawClient connected(dispatcher->endpoint(), &notification, server.public_key);
  connected.hello("notification", "notification");
  BOOST_TEST(connected.drain(1s) == (std::vector<std::string>{"WELCOME", "MSG", "MSG", "MSG"}), boost::test_tools::per_element());

  write_consumers(false);
  dispatcher->replace_consumers(bus::ConsumerRegistry::load(consumers_file()));

  bus::Subscriber fresh(consumer("notification", "notification", notification, server.public_key));
  BOOST_TEST(!fresh.wait_ready(kSilence));
  BOOST_TEST(fresh.last_error() == "the gateway refused this consumer's key (it is not in the gateway's consumers file)");
  // The connection made before the reload: its next frame ends its session, and nothing more comes.
  connected.send({"PING"});
  BOOST_TEST(connected.receive(5s).parts == (std::vector<std::string>{"DENIED", "this key is no longer registered"}),
             boost::test_tools::per_element());
  append("n8", "notification");
  BOOST_TEST(connected.receive(kSilence).empty());
  connected.hello("notification", "notification");
  BOOST_TEST(connected.receive(5s).parts == (std::vector<std::string>{"DENIED", "this key is no longer registered"}),
             boost::test_tools::per_element());
  // The consumer still in the file is served as before.
  bus::Subscriber kept(consumer("monitoring", "monitoring", monitoring, server.public_key));
  BOOST_TEST(kept.wait_ready(5s));
}

BOOST_AUTO_TEST_CASE(a_routing_id_reused_with_another_key_cannot_touch_the_session) {
  {
    RawClient victim(dispatcher->endpoint(), &notification, server.public_key, "victim");
    victim.hello("notification", "notification");
    BOOST_TEST(victim.drain(1s) == (std::vector<std::string>{"WELCOME", "MSG", "MSG", "MSG"}), boost::test_tools::per_element());
  }  // gone; its session (2, 4, 6 in flight) waits for it to come back
  RawClient impostor(dispatcher->endpoint(), &monitoring, server.public_key, "victim");
  Frames reply;
  for (int attempt = 0; attempt < 20 && reply.empty(); ++attempt) {  // until the old connection is closed
    impostor.send({"NACK", "2", "forged"});
    reply = impostor.receive(250ms);
  }
  BOOST_TEST(reply.parts == (std::vector<std::string>{"DENIED", "this session was opened with another key"}),
             boost::test_tools::per_element());
  impostor.send({"ACK", "6"});
  BOOST_TEST(impostor.receive(1s).parts.at(0) == "DENIED");
  const auto state = bus::DeliveryState::open(journal.file());
  BOOST_TEST(state.failures_after("notification", 0).empty());
  BOOST_TEST(stored_position("notification") == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
