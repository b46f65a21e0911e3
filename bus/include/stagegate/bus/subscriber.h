#pragma once
// The consumer side: connects to a gateway's dispatcher and receives messages.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stagegate/bus/wire.h"

namespace stagegate::bus {

class Subscriber {
 public:
  // Connects and subscribes to the topics (all topics when empty). Throws on a bad endpoint.
  Subscriber(const std::string& endpoint, std::vector<std::string> topics = {});
  ~Subscriber();
  Subscriber(Subscriber&&) noexcept;
  Subscriber& operator=(Subscriber&&) noexcept;

  // True once the gateway has confirmed the subscription (welcome received) within timeout.
  bool wait_ready(std::chrono::milliseconds timeout);
  // The next message, or nothing when none arrived within timeout ("would block" is not an error).
  std::optional<BusMessage> receive(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::bus
