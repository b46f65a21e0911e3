#include "ops/gateway_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <mutex>

namespace stagegate::app {

struct GatewayMetrics::Impl {
  prometheus::Registry registry;
  prometheus::Family<prometheus::Counter>& requests = prometheus::BuildCounter()
                                                          .Name("stagegate_requests_total")
                                                          .Help("SendMessage requests answered, by serviceId, sender and result code")
                                                          .Register(registry);
  prometheus::Family<prometheus::Histogram>& latency =
      prometheus::BuildHistogram()
          .Name("stagegate_request_duration_seconds")
          .Help("Time from the whole request to its answer (checks, verification, journal), by result code")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& journal = prometheus::BuildGauge()
                                                       .Name("stagegate_journal_last_sequence")
                                                       .Help("The journal's last sequence")
                                                       .Register(registry);
  prometheus::Family<prometheus::Gauge>& entries =
      prometheus::BuildGauge().Name("stagegate_journal_entries").Help("Entries in the journal").Register(registry);
  prometheus::Family<prometheus::Gauge>& backlog = prometheus::BuildGauge()
                                                       .Name("stagegate_delivery_backlog")
                                                       .Help("Messages past the slowest known consumer's position")
                                                       .Register(registry);
  prometheus::Family<prometheus::Gauge>& connected = prometheus::BuildGauge()
                                                         .Name("stagegate_consumers_connected")
                                                         .Help("Consumer sessions open on the bus")
                                                         .Register(registry);
  prometheus::Family<prometheus::Gauge>& dead = prometheus::BuildGauge()
                                                    .Name("stagegate_dead_letters")
                                                    .Help("Messages a consumer refused or failed on too often")
                                                    .Register(registry);
  prometheus::Family<prometheus::Gauge>& storage = prometheus::BuildGauge()
                                                       .Name("stagegate_delivery_storage_error")
                                                       .Help("1 while the delivery state cannot be written")
                                                       .Register(registry);
  prometheus::Family<prometheus::Gauge>& expiry =
      prometheus::BuildGauge()
          .Name("stagegate_trust_expiry_days")
          .Help("Days until a trust anchor's notAfter (kind=anchor) or a CRL's nextUpdate (kind=crl); negative: past")
          .Register(registry);
  std::mutex mutex;  // the gauges are reset and set at each scrape
};

GatewayMetrics::GatewayMetrics() : impl_(std::make_unique<Impl>()) {}
GatewayMetrics::~GatewayMetrics() = default;

void GatewayMetrics::record_request(std::string_view service_id, std::string_view sender, bool sender_authenticated,
                                    std::string_view code, std::chrono::duration<double> elapsed) {
  const std::string service =
      service_id == "STAGE_NOTIFICATION" || service_id == "SERVICE_INFO" ? std::string(service_id) : "other";
  impl_->requests
      .Add({{"service_id", service}, {"sender", sender_authenticated ? std::string(sender) : "-"}, {"code", std::string(code)}})
      .Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                0.05,   0.1,   0.25,   0.5,   1,    2.5};
  impl_->latency.Add({{"code", std::string(code)}}, kBuckets).Observe(elapsed.count());
}

std::string GatewayMetrics::scrape(const GatewayState& state) {
  std::lock_guard lock(impl_->mutex);
  impl_->journal.Add({}).Set(static_cast<double>(state.delivery.last_sequence));
  impl_->entries.Add({}).Set(static_cast<double>(state.journal_entries));
  impl_->backlog.Add({}).Set(static_cast<double>(state.delivery.backlog));
  impl_->connected.Add({}).Set(static_cast<double>(state.delivery.connected));
  impl_->dead.Add({}).Set(static_cast<double>(state.dead_letters));
  impl_->storage.Add({}).Set(state.delivery.storage_error.empty() ? 0 : 1);
  for (const auto& item : state.trust) {
    const double days = std::chrono::duration<double>(item.expires - state.now).count() / 86400.0;
    impl_->expiry
        .Add({{"kind", item.kind == signing::TrustItem::Kind::Anchor ? "anchor" : "crl"}, {"name", item.name},
              {"file", item.file}})
        .Set(days);
  }
  return prometheus::TextSerializer().Serialize(impl_->registry.Collect());
}

}  // namespace stagegate::app
