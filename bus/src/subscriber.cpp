#include "stagegate/bus/subscriber.h"

#include <charconv>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace stagegate::bus {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr auto kPingEvery = std::chrono::milliseconds(1000);
// No answer for this long: the gateway restarted or the link broke; say HELLO again.
constexpr auto kSilenceLimit = std::chrono::milliseconds(3000);
// One HELLO until WELCOME or this long: every frame queued while the gateway was away earns
// a WHO, and each must not turn into a HELLO of its own.
constexpr auto kHelloEvery = std::chrono::milliseconds(1000);
// Acknowledgements held back at most this long while messages keep arriving: the gateway
// counts a session silent for its timeout as gone (and its first message in flight as failed).
constexpr auto kLongestUnsentAck = std::chrono::milliseconds(200);
// A subscriber that closes with an ACK not yet written waits this long for it to leave.
constexpr auto kLingerForAck = std::chrono::milliseconds(250);

std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string join(const std::vector<std::string>& topics) {
  std::string text;
  for (const auto& topic : topics) text += (text.empty() ? "" : ",") + topic;
  return text;
}

}  // namespace

struct Subscriber::Impl {
  SubscriberConfig config;
  zmq::context_t context{1};
  zmq::socket_t socket{context, zmq::socket_type::dealer};
  // With CURVE: the socket's handshake events, to tell "the gateway refused this key" from silence.
  zmq::socket_t handshake_events{context, zmq::socket_type::pair};
  bool watching_handshake = false;
  bool welcomed = false;
  std::string denied;                 // the gateway's DENIED reason: stop asking
  bool rewinding = false;             // after refuse(): drop MSGs until REWIND
  std::string last_error;             // the gateway's last ERROR
  SteadyClock::time_point hello_sent{};
  std::uint64_t delivered = 0;        // last sequence handed to the application
  // Last live sequence the application acknowledged. A repeat up to it (the gateway sends
  // again after a reconnect) is acknowledged again here, or the gateway, which takes an ACK
  // only for a message in flight, would wait for it forever.
  std::uint64_t acknowledged = 0;
  // ACK is cumulative (wire.h): one frame for everything handled since the last one. Each
  // frame wakes the gateway's delivery thread and its I/O thread, so while the next message
  // is already queued here the frame waits; it goes when nothing is queued (a named consumer
  // has caught up: the gateway sees, stores and reports its position at once), half the
  // window is unacknowledged (the gateway refills at half credit), kLongestUnsentAck has
  // passed, or another frame is about to go (NACK, HELLO, PING, close). An observer's ACK
  // only gives credit back (the gateway remembers no position for it and counts no failures),
  // so an observer does not send one each time it catches up. A crash before the frame leaves
  // only means redelivery, which consumers drop by sequence (at least once, as before).
  std::uint64_t ack_sent = 0;          // last ACK frame's sequence; acknowledged > ack_sent: one is due
  std::size_t unsent_acks = 0;         // messages acknowledged since that frame
  SteadyClock::time_point first_unsent{};
  // The next frames, taken off the socket by acknowledge() to learn whether anything is
  // queued; read_one() handles them first.
  std::vector<zmq::message_t> lookahead;
  SteadyClock::time_point last_heard = SteadyClock::now();
  SteadyClock::time_point last_sent = SteadyClock::now();

  explicit Impl(SubscriberConfig c)
      : config(std::move(c)), delivered(config.processed), acknowledged(config.processed), ack_sent(config.processed) {
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::rcvhwm, 0);
    if (!config.server_public_key.empty()) {
      socket.set(zmq::sockopt::curve_serverkey, config.server_public_key);
      socket.set(zmq::sockopt::curve_publickey, config.public_key);
      socket.set(zmq::sockopt::curve_secretkey, config.secret_key);
      constexpr const char* kEvents = "inproc://stagegate-subscriber-handshake";  // one context per subscriber
      if (zmq_socket_monitor(socket.handle(), kEvents, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0)
        throw std::runtime_error(std::string("cannot watch the bus handshake: ") + zmq_strerror(zmq_errno()));
      handshake_events.set(zmq::sockopt::linger, 0);
      handshake_events.connect(kEvents);
      watching_handshake = true;
    }
    try {
      socket.connect(config.endpoint);
    } catch (const zmq::error_t& error) {
      throw std::runtime_error("cannot connect to " + config.endpoint + ": " + error.what());
    }
    hello();
  }

  ~Impl() {
    // What was handled reaches the gateway, or the next session gets it again (and drops it).
    try {
      if (flush_acks()) socket.set(zmq::sockopt::linger, static_cast<int>(kLingerForAck.count()));
    } catch (const zmq::error_t&) {
    }
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Sends the ACK held back, if any; true when one went.
  bool flush_acks() {
    if (acknowledged <= ack_sent) return false;
    const auto sequence = std::to_string(acknowledged);
    ack_sent = acknowledged;
    unsent_acks = 0;
    send({frame::kAck, sequence});
    return true;
  }

  void send(std::initializer_list<std::string_view> frames) {
    std::vector<zmq::const_buffer> parts;
    for (const auto frame : frames) parts.push_back(zmq::buffer(frame));
    zmq::send_multipart(socket, parts, zmq::send_flags::dontwait);
    last_sent = SteadyClock::now();
  }

  void hello() {
    flush_acks();  // for the session it ends: the new one starts after `delivered` anyway
    welcomed = false;
    rewinding = false;
    const auto window = std::to_string(config.window);
    // Observers resume after what they already printed; durable consumers after what they stored.
    const auto processed = std::to_string(delivered);
    send({frame::kHello, config.name, join(config.topics), window, processed});
    hello_sent = last_heard = SteadyClock::now();
  }

  void hello_unless_recent() {
    if (welcomed || SteadyClock::now() - hello_sent >= kHelloEvery) hello();
  }

  void keep_alive() {
    if (!denied.empty()) return;
    const auto now = SteadyClock::now();
    if (now - last_heard > kSilenceLimit) {
      hello();
    } else if (now - last_sent > kPingEvery) {
      flush_acks();
      send({frame::kPing});
    }
  }

  // The gateway's ZAP handler refused this key: it is not in the consumers file. libzmq
  // would retry for ever and the application would only see silence.
  void check_handshake() {
    if (!watching_handshake || !denied.empty()) return;
    std::vector<zmq::message_t> event;
    while (zmq::recv_multipart(handshake_events, std::back_inserter(event), zmq::recv_flags::dontwait)) {
      std::uint16_t id = 0;
      if (!event.empty() && event[0].size() >= sizeof id) std::memcpy(&id, event[0].data(), sizeof id);
      if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        denied = "the gateway refused this consumer's key (it is not in the gateway's consumers file)";
      event.clear();
    }
  }

  // A message for the application, or nothing (control frames are handled here).
  std::optional<BusMessage> read_one(std::chrono::milliseconds timeout) {
    if (!denied.empty()) return std::nullopt;
    std::vector<zmq::message_t> frames = std::exchange(lookahead, {});
    // A frame already queued is taken without a poll (a system call), and while frames are
    // queued acknowledgements wait to go together.
    if (frames.empty() && !zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      if (!config.name.empty()) flush_acks();  // about to wait: the gateway learns the position
      check_handshake();
      if (!denied.empty()) return std::nullopt;
      zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::min(timeout, std::chrono::milliseconds(250))) == 0) {
        keep_alive();
        return std::nullopt;
      }
      if (!zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait)) return std::nullopt;
    }
    if (frames.empty()) return std::nullopt;
    last_heard = SteadyClock::now();
    const auto command = frames[0].to_string_view();
    if (command == frame::kDenied) {
      denied = frames.size() > 1 && frames[1].size() > 0 ? frames[1].to_string() : std::string("refused by the gateway");
      welcomed = false;
      return std::nullopt;
    }
    if (!denied.empty()) return std::nullopt;
    if (command == frame::kWho) {
      hello_unless_recent();
    } else if (command == frame::kError) {
      last_error = frames.size() > 1 ? frames[1].to_string() : std::string("refused");
    } else if (command == frame::kWelcome) {
      welcomed = true;
      last_error.clear();
      if (!config.name.empty() || delivered == 0)
        delivered = std::max(delivered, parse_number(frames.size() > 1 ? frames[1].to_string_view() : "").value_or(0));
    } else if (command == frame::kRewind && frames.size() == 2) {
      rewinding = false;
      delivered = parse_number(frames[1].to_string_view()).value_or(delivered);
    } else if (command == frame::kMessage && frames.size() == 5) {
      const auto sequence = parse_number(frames[1].to_string_view());
      if (!sequence) return std::nullopt;
      const bool replay = frames[4].to_string_view() == frame::kReplay;
      if (!replay && (rewinding || *sequence <= delivered)) {  // seen already, or void
        if (!rewinding && *sequence <= acknowledged) send({frame::kAck, frames[1].to_string_view()});
        return std::nullopt;
      }
      BusMessage message{frames[2].to_string(), *sequence, frames[3].to_string(), replay};
      if (!replay) delivered = *sequence;
      if (config.name.empty()) acknowledge(message);
      return message;
    }
    keep_alive();
    return std::nullopt;
  }

  void acknowledge(const BusMessage& message) {
    if (message.replay) {  // RACK names one replayed message: not cumulative, sent now
      const auto sequence = std::to_string(message.sequence);
      send({frame::kReplayAck, sequence});
      return;
    }
    if (message.sequence <= acknowledged) return;
    acknowledged = message.sequence;
    const auto now = SteadyClock::now();
    if (unsent_acks++ == 0) first_unsent = now;
    if (unsent_acks * 2 >= config.window || now - first_unsent >= kLongestUnsentAck) {
      flush_acks();
    } else if (!config.name.empty() && lookahead.empty() &&
               !zmq::recv_multipart(socket, std::back_inserter(lookahead), zmq::recv_flags::dontwait)) {
      flush_acks();  // nothing queued: caught up
    }
  }
};

Subscriber::Subscriber(SubscriberConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Subscriber::Subscriber(const std::string& endpoint, std::vector<std::string> topics)
    : Subscriber(SubscriberConfig{endpoint, "", std::move(topics), 256, 0}) {}

Subscriber::~Subscriber() = default;
Subscriber::Subscriber(Subscriber&&) noexcept = default;
Subscriber& Subscriber::operator=(Subscriber&&) noexcept = default;

bool Subscriber::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  while (!impl_->welcomed) {
    if (!impl_->denied.empty()) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) return false;
    impl_->read_one(left);
  }
  return true;
}

std::string Subscriber::last_error() const { return impl_->denied.empty() ? impl_->last_error : impl_->denied; }

bool Subscriber::denied() const { return !impl_->denied.empty(); }

std::optional<BusMessage> Subscriber::receive(std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    if (!impl_->denied.empty()) return std::nullopt;  // refused: nothing will come
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (auto message = impl_->read_one(std::max(left, std::chrono::milliseconds(0)))) return message;
    if (left.count() <= 0) return std::nullopt;
  }
}

void Subscriber::acknowledge(const BusMessage& message) {
  if (!impl_->config.name.empty()) impl_->acknowledge(message);
}

void Subscriber::refuse(const BusMessage& message, const std::string& reason) {
  if (impl_->config.name.empty()) return;
  if (message.replay) return;  // stays queued for replay; the operator sees it again in `dlq`
  // The ACK held back first: the NACK says "everything before it is handled" too, but an ACK
  // arriving after it would name a message the gateway has already taken back.
  impl_->flush_acks();
  const auto sequence = std::to_string(message.sequence);
  impl_->send({frame::kNack, sequence, reason});
  impl_->rewinding = true;
}

}  // namespace stagegate::bus
