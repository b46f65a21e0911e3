#pragma once
// Publishes journaled messages over ZeroMQ in journal order, from one thread that owns the socket.
#include <cstdint>
#include <memory>
#include <string>

#include "stagegate/bus/journal.h"

namespace stagegate::bus {

class Dispatcher {
 public:
  // Binds an XPUB socket on `endpoint` (e.g. tcp://127.0.0.1:5556, or tcp://127.0.0.1:* for
  // any port) and starts publishing entries appended to `journal` after its current end.
  // Throws std::runtime_error when the endpoint cannot be bound.
  Dispatcher(Journal& journal, const std::string& endpoint);
  ~Dispatcher();  // stops the thread
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // The endpoint actually bound (with the real port).
  std::string endpoint() const;
  // Wakes the publishing thread: call after each successful append.
  void notify();
  std::uint64_t published_sequence() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::bus
