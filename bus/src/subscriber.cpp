#include "stagegate/bus/subscriber.h"

#include <charconv>
#include <stdexcept>
#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace stagegate::bus {

struct Subscriber::Impl {
  zmq::context_t context{1};
  zmq::socket_t socket{context, zmq::socket_type::sub};
  bool welcomed = false;

  // A parsed message, a welcome, or nothing; never throws for "would block".
  enum class Got { Nothing, Welcome, Message };
  Got read_one(std::chrono::milliseconds timeout, BusMessage& out) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) == 0) return Got::Nothing;
    std::vector<zmq::message_t> frames;
    if (!zmq::recv_multipart(socket, std::back_inserter(frames), zmq::recv_flags::dontwait)) return Got::Nothing;
    if (frames.size() == 1 && frames[0].to_string_view() == kWelcomeTopic) {
      welcomed = true;
      return Got::Welcome;
    }
    if (frames.size() != 3) return Got::Nothing;
    const auto sequence = frames[1].to_string_view();
    std::uint64_t parsed = 0;
    const auto [end, error] = std::from_chars(sequence.data(), sequence.data() + sequence.size(), parsed);
    if (error != std::errc{} || end != sequence.data() + sequence.size()) return Got::Nothing;
    out = BusMessage{frames[0].to_string(), parsed, frames[2].to_string()};
    return Got::Message;
  }
};

Subscriber::Subscriber(const std::string& endpoint, std::vector<std::string> topics)
    : impl_(std::make_unique<Impl>()) {
  impl_->socket.set(zmq::sockopt::linger, 0);
  impl_->socket.set(zmq::sockopt::rcvhwm, 100000);
  impl_->socket.set(zmq::sockopt::subscribe, std::string(kWelcomeTopic));
  if (topics.empty()) topics.push_back("");
  // Topic frames are matched by prefix; "stage" must not also match a future "stage-x" topic
  // a consumer did not ask for, so consumers name topics exactly and the gateway keeps them prefix-free.
  for (const auto& topic : topics) impl_->socket.set(zmq::sockopt::subscribe, topic);
  try {
    impl_->socket.connect(endpoint);
  } catch (const zmq::error_t& error) {
    throw std::runtime_error("cannot connect to " + endpoint + ": " + error.what());
  }
}

Subscriber::~Subscriber() = default;
Subscriber::Subscriber(Subscriber&&) noexcept = default;
Subscriber& Subscriber::operator=(Subscriber&&) noexcept = default;

bool Subscriber::wait_ready(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  BusMessage ignored;
  while (!impl_->welcomed) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    impl_->read_one(left, ignored);
  }
  return true;
}

std::optional<BusMessage> Subscriber::receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    BusMessage message;
    const auto got = impl_->read_one(std::max(left, std::chrono::milliseconds(0)), message);
    if (got == Impl::Got::Message) return message;
    if (left.count() <= 0) return std::nullopt;
  }
}

}  // namespace stagegate::bus
