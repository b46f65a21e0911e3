#include "zap_handler.h"
#include "stagegate/core/thread_name.h"

#include <array>
#include <chrono>
#include <iostream>
#include <zmq_addon.hpp>

#include "stagegate/core/clock.h"

namespace stagegate::bus {
namespace {

constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
constexpr const char* kZapDomain = "stagegate-bus";
// The key itself rides along as connection metadata, so a HELLO is checked against the
// grant of this very key even when the file was reloaded since the handshake.
constexpr const char* kKeyProperty = "X-Consumer-Key";

// ZMTP metadata: name length (1 byte), name, value length (4 bytes, big endian), value.
std::string metadata(std::string_view name, std::string_view value) {
  std::string encoded(1, static_cast<char>(name.size()));
  encoded += name;
  for (int shift = 24; shift >= 0; shift -= 8) encoded += static_cast<char>((value.size() >> shift) & 0xFF);
  encoded += value;
  return encoded;
}

std::string z85_of(const zmq::message_t& key) {
  if (key.size() != 32) return {};
  std::array<char, 41> text{};
  if (zmq_z85_encode(text.data(), static_cast<const std::uint8_t*>(key.data()), key.size()) == nullptr) return {};
  return text.data();
}

// Refused handshakes can come in floods; one log line a second says how many.
class RefusalLog {
 public:
  void refused(const std::string& address) {
    const auto now = std::chrono::steady_clock::now();
    ++pending_;
    if (now - last_ < std::chrono::seconds(1)) return;
    std::clog << now_utc() << " bus: refused " << pending_ << " CURVE handshake(s) with unregistered keys (last from "
              << address << ")" << std::endl;
    pending_ = 0;
    last_ = now;
  }

 private:
  std::chrono::steady_clock::time_point last_{};
  std::uint64_t pending_ = 0;
};

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, std::shared_ptr<const LiveConsumerRegistry> consumers)
    : consumers_(std::move(consumers)), socket_(context, zmq::socket_type::rep) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind(kZapEndpoint);
  thread_ = std::thread([this] {
    name_this_thread("sg-bus-auth");
    run();
  });
}

ZapHandler::~ZapHandler() {
  stopping_ = true;
  thread_.join();
}

void ZapHandler::run() {
  RefusalLog log;
  while (!stopping_.load()) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(100));
    if (!(item.revents & ZMQ_POLLIN)) continue;
    std::vector<zmq::message_t> request;
    if (!zmq::recv_multipart(socket_, std::back_inserter(request), zmq::recv_flags::dontwait)) continue;
    // version, request id, domain, address, routing id, mechanism, credentials...
    const bool curve = request.size() == 7 && request[0].to_string_view() == "1.0" && request[5].to_string_view() == "CURVE";
    const auto registry = consumers_->current();
    const ConsumerGrant* grant = curve ? registry->find_by_key(z85_of(request[6])) : nullptr;
    if (!grant) log.refused(request.size() > 3 ? request[3].to_string() : std::string("?"));
    const std::string request_id = request.size() > 1 ? request[1].to_string() : std::string();
    const std::array<std::string, 6> reply{"1.0", request_id, grant ? "200" : "400",
                                           grant ? "OK" : "key not registered", grant ? grant->name : "",
                                           grant ? metadata(kKeyProperty, grant->public_key) : ""};
    std::vector<zmq::const_buffer> parts;
    for (const auto& part : reply) parts.push_back(zmq::buffer(part));
    zmq::send_multipart(socket_, parts);
  }
}

void make_curve_server(zmq::socket_t& socket, const std::string& secret_key_z85) {
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, secret_key_z85);
  // libzmq lets every CURVE client in when no handler listens; ours is bound before this
  // socket and lives as long as it (ZMQ_ZAP_ENFORCE_DOMAIN is still a draft option).
  socket.set(zmq::sockopt::zap_domain, kZapDomain);
}

std::string peer_key(const std::vector<zmq::message_t>& frames) {
  const char* key = frames.size() > 1 ? zmq_msg_gets(frames[1].handle(), kKeyProperty) : nullptr;
  return key ? key : "";
}

std::optional<FrameRefusal> authorize_frame(const LiveConsumerRegistry* consumers, const std::string& session_key,
                                            const std::vector<zmq::message_t>& frames) {
  if (!consumers) return std::nullopt;
  if (peer_key(frames) != session_key) return FrameRefusal{"this session was opened with another key", false};
  if (!consumers->current()->find_by_key(session_key)) return FrameRefusal{"this key is no longer registered", true};
  return std::nullopt;
}

std::optional<std::string> authorize_hello(const LiveConsumerRegistry* consumers, const std::vector<zmq::message_t>& frames) {
  if (!consumers) return std::nullopt;
  const auto registry = consumers->current();
  const ConsumerGrant* grant = registry->find_by_key(peer_key(frames));
  // Removed from the file since its handshake: no new session on the old connection.
  if (!grant) return std::string("this key is no longer registered");
  const auto name = frames.size() > 2 ? frames[2].to_string_view() : std::string_view();
  const auto destinations = frames.size() > 3 ? frames[3].to_string_view() : std::string_view();
  return hello_refusal(*grant, name, destinations);
}

}  // namespace stagegate::bus
