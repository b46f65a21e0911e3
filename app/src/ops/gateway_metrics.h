#pragma once
// The gateway's Prometheus metrics (prometheus-cpp's registry and text format): requests by
// serviceId, sender and result code with their latency, and, refreshed at each scrape, the
// journal, delivery, dead letters and how long the trust anchors and CRLs last.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stagegate/bus/dispatcher.h"
#include "stagegate/signing/trust_inventory.h"

namespace stagegate::app {

struct GatewayState {
  bus::DeliveryStats delivery;
  std::uint64_t journal_entries = 0;
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
  // The text exposition format, the gauges set from `state` first.
  std::string scrape(const GatewayState& state);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::app
