#pragma once
// One gateway process: SOAP endpoint -> pipeline -> journal -> ZeroMQ dispatcher.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "stagegate/adapters/soap_server.h"
#include "stagegate/bus/dispatcher.h"
#include "stagegate/bus/journal.h"
#include "stagegate/signing/verifier.h"

namespace stagegate::app {

// The operators' listener (metrics, readiness); off while `listen` is empty.
struct OpsConfig {
  std::string listen;  // HOST:PORT, e.g. 127.0.0.1:9090
  std::string token;   // what /metrics requires as `Authorization: Bearer <token>`
};

// The per-request log line: a JSON object (time, level, event, code, sequence or reason,
// messageId, sender, serviceId, latencyMs), or the older text form.
enum class LogFormat { Json, Text };

struct GatewayConfig {
  adapters::ServerConfig server;
  std::string bus_endpoint = "tcp://127.0.0.1:5556";
  std::filesystem::path journal = "var/journal.db";
  bus::JournalOptions journal_options;  // commit window; page size of a new file
  std::filesystem::path providers = "var/providers.conf";
  signing::TrustConfig trust;
  // Routing rules (routing/data/routes.toml shows the format); empty: the built-in rules.
  std::filesystem::path routes;
  bus::DeliveryOptions delivery;
  bool log_messages = true;
  LogFormat log_format = LogFormat::Json;
  // How often the registry, anchors and CRLs are checked for changes; zero: only reload().
  std::chrono::milliseconds reload_poll{2000};
  OpsConfig ops;
};

struct ReloadOutcome {
  bool applied = false;
  std::string message;  // what was loaded, or why the running configuration was kept
};

class Gateway {
 public:
  // Loads the registry and trust anchors, opens the journal, binds both sockets.
  // Throws std::runtime_error on any configuration problem.
  explicit Gateway(GatewayConfig config);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  void start();
  void stop();
  // Loads the provider registry, trust anchors, CRLs, routing rules and (with CURVE) the bus
  // consumers file again and switches to them at once;
  // requests in flight finish with what they started with. On any error nothing changes.
  // Runs on SIGHUP and when a watched file changes.
  ReloadOutcome reload();
  int soap_port() const;
  int ops_port() const;  // 0 without an ops listener
  std::string bus_endpoint() const;  // as bound, with the real port
  std::uint64_t journaled() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::app
