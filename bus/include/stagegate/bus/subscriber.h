#pragma once
// The consumer side of delivery, used by every consumer: connects to the gateway, names
// itself, grants credit, receives messages in journal order, acknowledges them, and
// resumes after the last acknowledged one when either side restarts. Messages delivered
// again (after a reconnect) are dropped here, so the application sees each message once
// per run; across its own restarts it passes the last sequence it stored.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stagegate/bus/wire.h"

namespace stagegate::bus {

struct SubscriberConfig {
  std::string endpoint = "tcp://127.0.0.1:5556";
  // Empty: an observer that starts at the end of the journal (or after `processed`), is not
  // remembered by the gateway, and acknowledges by itself on receive (one ACK frame per half
  // window or 200 ms at most: its ACKs only give credit back).
  std::string name;
  std::vector<std::string> topics;  // empty: all
  std::size_t window = 64;          // messages in flight at most (the credit)
  std::uint64_t processed = 0;      // last sequence this consumer has durably handled
  // CURVE (all three Z85, curve_keys.h): the gateway's public key, which authenticates it,
  // and this consumer's key pair, registered in the gateway's consumers file. Empty: plaintext.
  std::string server_public_key{};
  std::string public_key{};
  std::string secret_key{};
};

class Subscriber {
 public:
  // Throws std::runtime_error on a bad endpoint.
  explicit Subscriber(SubscriberConfig config);
  // An observer of all topics (tests and `stagegate tail`).
  explicit Subscriber(const std::string& endpoint, std::vector<std::string> topics = {});
  ~Subscriber();
  Subscriber(Subscriber&&) noexcept;
  Subscriber& operator=(Subscriber&&) noexcept;

  // True once the gateway welcomed this consumer within the timeout; false at once when it
  // denied the HELLO (last_error() says why).
  bool wait_ready(std::chrono::milliseconds timeout);
  // Why the gateway refused this consumer: its DENIED reason (a name not bound to the key,
  // an ungranted destination; a denied subscriber stops asking), its last ERROR (a bad name
  // or position, too many HELLOs; empty once welcomed), or a key it refused. Empty otherwise.
  std::string last_error() const;
  // The gateway denied this consumer for good (DENIED, or its key was refused): nothing will
  // come until its configuration changes.
  bool denied() const;
  // The next message, or nothing within the timeout ("would block" is not an error).
  std::optional<BusMessage> receive(std::chrono::milliseconds timeout);
  // After the message is durably handled: releases credit and moves the position. Messages
  // are handled in order, so this covers every earlier one too; the ACK frame goes when
  // this subscriber next waits for the gateway (receive() with nothing queued), when half
  // the window is unacknowledged, within 200 ms while messages keep coming, or before a
  // NACK, HELLO, PING or the destructor. A crash before then means those messages come
  // again after the restart (drop them by sequence, as after any crash).
  void acknowledge(const BusMessage& message);
  // The consumer cannot handle it: the gateway delivers it again, and after repeated
  // failures moves it to the dead letters. Messages received after it are delivered again.
  void refuse(const BusMessage& message, const std::string& reason);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::bus
