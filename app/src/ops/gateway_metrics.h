#pragma once
// The gateway's Prometheus metrics (prometheus-cpp's registry and text format): requests by
// serviceId, sender and result code with their latency, and, refreshed at each scrape, the
// journal, delivery, dead letters and how long the trust anchors and CRLs last.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <map>

#include "stagegate/bus/delivery_state.h"
#include "stagegate/bus/dispatcher.h"
#include "stagegate/signing/trust_inventory.h"

namespace stagegate::app {

struct ConsumerLag {
  std::string name;
  std::uint64_t acknowledged = 0;
  std::uint64_t behind = 0;
  std::string last_seen;
};

struct GatewayState {
  bus::DeliveryStats delivery;
  std::vector<ConsumerLag> consumers;
  std::vector<bus::DeadLetter> dead_letter_list;
  std::uint64_t journal_entries = 0;
  std::uint64_t journal_bytes = 0;  // database and WAL
  std::uint64_t dead_letters = 0;
  std::vector<signing::TrustItem> trust;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
};

class GatewayMetrics {
 public:
  GatewayMetrics();
  ~GatewayMetrics();
  GatewayMetrics(const GatewayMetrics&) = delete;
  GatewayMetrics& operator=(const GatewayMetrics&) = delete;

  // One answered request. Labels carry only what the gateway vouches for: a serviceId it
  // routes (else "other") and a sender that authenticated (else "-"), so a client cannot
  // mint series; no personal data reaches a label.
  void record_request(std::string_view service_id, std::string_view sender, bool sender_authenticated,
                      std::string_view code, std::chrono::duration<double> elapsed);
  // One pipeline step's time (verify_signature among them).
  void record_step(std::string_view step, std::chrono::duration<double> elapsed);
  // A signer certificate that verified for a provider: its days left are exported, keyed by
  // sender and the certificate's fingerprint (never its subject, which names a person).
  void record_signer(const std::string& sender, const std::string& fingerprint_sha256,
                     std::chrono::system_clock::time_point not_after);
  // The text exposition format, the gauges set from `state` first.
  std::string scrape(const GatewayState& state);
  // Requests answered so far by result code (SCSS001 or the refusal's), for the dashboard.
  std::map<std::string, std::uint64_t> requests_by_code() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::app
