#pragma once
// The ZeroMQ authentication handler (ZAP, RFC 27) for the gateway's CURVE socket: a thread
// answering on inproc://zeromq.zap.01 in the dispatcher's context. A key registered in the
// consumers file is accepted and its consumer name becomes the connection's User-Id; any
// other key is refused, so its handshake fails and it receives nothing.
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "stagegate/bus/consumer_registry.h"

namespace stagegate::bus {

class ZapHandler {
 public:
  // Binds before returning, so sockets bound afterwards are never served unauthenticated.
  ZapHandler(zmq::context_t& context, std::shared_ptr<const LiveConsumerRegistry> consumers);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

 private:
  void run();
  void answer(std::vector<zmq::message_t>& request);

  std::shared_ptr<const LiveConsumerRegistry> consumers_;
  zmq::socket_t socket_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Configures `socket` as the CURVE server with the gateway's secret key (Z85).
void make_curve_server(zmq::socket_t& socket, const std::string& secret_key_z85);

// For Dispatcher::Impl::hello(): why this HELLO is refused, or nothing. Without a registry
// (a plaintext bus) nothing is refused. `frames` as received: identity, HELLO, name, destinations, ...
std::optional<std::string> authorize_hello(const LiveConsumerRegistry* consumers, const std::vector<zmq::message_t>& frames);

// The CURVE key (Z85) of the connection a message came on; empty on a plaintext bus.
std::string peer_key(const std::vector<zmq::message_t>& frames);

// For the frames of an existing session: refused when they come on another key than the one
// that opened it (a routing id reused by another peer), or when that key was removed from
// the consumers file since (`revoked`: the session ends).
struct FrameRefusal {
  std::string reason;
  bool revoked = false;
};
std::optional<FrameRefusal> authorize_frame(const LiveConsumerRegistry* consumers, const std::string& session_key,
                                            const std::vector<zmq::message_t>& frames);

}  // namespace stagegate::bus
