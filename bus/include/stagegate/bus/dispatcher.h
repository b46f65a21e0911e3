#pragma once
// Delivers journaled messages to named consumers over ZeroMQ (ROUTER), each in journal
// order, at least once, within the credit the consumer grants; remembers positions, counts
// failures, dead-letters, replays, and applies retention. One thread owns the socket.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "stagegate/bus/consumer_registry.h"
#include "stagegate/bus/journal.h"
#include "stagegate/core/result.h"

namespace stagegate::bus {

// CURVE on the bus: the gateway's secret key and who may connect (consumer_registry.h).
struct BusSecurity {
  std::string server_secret_key;  // Z85
  std::filesystem::path consumers_file;
};

struct DeliveryOptions {
  std::size_t max_window = 1024;          // a consumer's credit is capped here
  int max_failures = 5;                   // refusals or crashes on one message, then dead letter
  std::chrono::milliseconds session_timeout{15000};  // silent consumers are considered gone
  std::size_t max_sessions = 256;         // connected consumers at most; beyond, the oldest observer goes
  std::size_t max_consumers = 256;        // named consumers remembered at most; a new name beyond is refused
  // Backpressure: new messages are refused OVERLOADED past either limit.
  std::uint64_t max_backlog = 1000000;    // undelivered messages of the slowest consumer
  std::uint64_t min_free_disk_bytes = 256ull << 20;
  // Retention, only of what every known consumer acknowledged.
  std::chrono::hours keep_payloads{24 * 30};  // then payload and document are emptied
  std::chrono::hours keep_receipts{24 * 90};  // then the entry (its idempotency key) goes
  // Absent: a plaintext bus where anyone who reaches the endpoint may consume everything.
  std::optional<BusSecurity> security;
};

struct DeliveryStats {
  std::uint64_t last_sequence = 0;
  std::uint64_t slowest_position = 0;  // lowest acknowledged position of a known consumer
  std::uint64_t backlog = 0;
  std::size_t connected = 0;
  // Empty while the delivery state's database takes writes; else the last error (delivery
  // goes on, positions and failures are kept in memory and saved when it works again).
  std::string storage_error;
};

class Dispatcher {
 public:
  // Binds a ROUTER socket on `endpoint` (tcp://127.0.0.1:5556, or tcp://127.0.0.1:* for any
  // port). Throws std::runtime_error when it cannot be bound.
  Dispatcher(Journal& journal, const std::string& endpoint, DeliveryOptions options = {});
  ~Dispatcher();  // stops the thread
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  std::string endpoint() const;  // as bound, with the real port
  void notify();                 // new entries were committed
  DeliveryStats stats() const;
  // OVERLOADED (with the reason) when the backlog or free disk is past its limit.
  Status admission() const;
  // With security: the consumers from now on (handshakes, HELLOs and every frame): a key
  // removed from it gets no new session and its open session ends at its next frame.
  // Without security it does nothing. Thread-safe.
  void replace_consumers(ConsumerRegistry consumers);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::bus
