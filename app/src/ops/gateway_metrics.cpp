#include "ops/gateway_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <mutex>
#include <unordered_map>

namespace stagegate::app {

namespace {
const prometheus::Histogram::BucketBoundaries kStepBuckets{0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                          0.0025,  0.005,   0.01,   0.025,   0.1};
}  // namespace

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
  prometheus::Family<prometheus::Gauge>& lag = prometheus::BuildGauge()
                                                   .Name("stagegate_consumer_lag")
                                                   .Help("Messages after a named consumer's acknowledged position")
                                                   .Register(registry);
  prometheus::Family<prometheus::Gauge>& expiry =
      prometheus::BuildGauge()
          .Name("stagegate_trust_expiry_days")
          .Help("Days until a trust anchor's notAfter (kind=anchor) or a CRL's nextUpdate (kind=crl); negative: past")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& steps =
      prometheus::BuildHistogram()
          .Name("stagegate_step_duration_seconds")
          .Help("Time of each pipeline step (verify_signature: the signature check), by step")
          .Register(registry);
  prometheus::Family<prometheus::Gauge>& journal_bytes = prometheus::BuildGauge()
                                                             .Name("stagegate_journal_bytes")
                                                             .Help("Size of the journal's database and WAL files")
                                                             .Register(registry);
  prometheus::Family<prometheus::Gauge>& signers =
      prometheus::BuildGauge()
          .Name("stagegate_signer_expiry_days")
          .Help("Days until the notAfter of each signer certificate seen per provider (sender, fingerprint prefix)")
          .Register(registry);
  // The gateway's steps (app/src/steps.cpp), registered up front so that the seven
  // observations per message find theirs without the family's lock and label hashing.
  std::vector<std::pair<std::string_view, prometheus::Histogram*>> step_histograms = [this] {
    std::vector<std::pair<std::string_view, prometheus::Histogram*>> known;
    for (const std::string_view name : {"authenticate_sender", "verify_signature", "authorize_signer", "normalize_document",
                                        "route_message", "admit", "append_to_journal"})
      known.emplace_back(name, &steps.Add({{"step", std::string(name)}}, kStepBuckets));
    return known;
  }();
  // Each (serviceId, sender, code)'s counter and each code's histogram, found once through the
  // families (a std::map of labels built, hashed and looked up under the family's lock).
  struct RequestSeries {
    prometheus::Counter* requests;
    prometheus::Histogram* latency;
  };
  std::mutex series_mutex;
  std::unordered_map<std::string, RequestSeries> request_series;
  std::mutex signers_mutex;
  std::map<std::pair<std::string, std::string>, std::chrono::system_clock::time_point> signer_not_after;
  std::mutex mutex;  // the gauges are reset and set at each scrape
};

GatewayMetrics::GatewayMetrics() : impl_(std::make_unique<Impl>()) {}
GatewayMetrics::~GatewayMetrics() = default;

void GatewayMetrics::record_request(std::string_view service_id, std::string_view sender, bool sender_authenticated,
                                    std::string_view code, std::chrono::duration<double> elapsed) {
  const std::string_view service =
      service_id == "STAGE_NOTIFICATION" || service_id == "SERVICE_INFO" ? service_id : std::string_view("other");
  const std::string_view shown_sender = sender_authenticated ? sender : std::string_view("-");
  std::string key;
  key.reserve(service.size() + shown_sender.size() + code.size() + 2);
  key.append(service).append(1, '\0').append(shown_sender).append(1, '\0').append(code);
  Impl::RequestSeries series{};
  {
    std::lock_guard lock(impl_->series_mutex);
    auto found = impl_->request_series.find(key);
    if (found == impl_->request_series.end()) {
      static const prometheus::Histogram::BucketBoundaries kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                    0.05,   0.1,   0.25,   0.5,   1,    2.5};
      auto& counter = impl_->requests.Add(
          {{"service_id", std::string(service)}, {"sender", std::string(shown_sender)}, {"code", std::string(code)}});
      auto& histogram = impl_->latency.Add({{"code", std::string(code)}}, kBuckets);
      found = impl_->request_series.emplace(std::move(key), Impl::RequestSeries{&counter, &histogram}).first;
    }
    series = found->second;
  }
  series.requests->Increment();
  series.latency->Observe(elapsed.count());
}

void GatewayMetrics::record_step(std::string_view step, std::chrono::duration<double> elapsed) {
  for (const auto& [name, histogram] : impl_->step_histograms)
    if (name == step) return histogram->Observe(elapsed.count());
  impl_->steps.Add({{"step", std::string(step)}}, kStepBuckets).Observe(elapsed.count());
}

void GatewayMetrics::record_signer(const std::string& sender, const std::string& fingerprint_sha256,
                                   std::chrono::system_clock::time_point not_after) {
  std::lock_guard lock(impl_->signers_mutex);
  impl_->signer_not_after[{sender, fingerprint_sha256.substr(0, 16)}] = not_after;
}

std::string GatewayMetrics::scrape(const GatewayState& state) {
  std::lock_guard lock(impl_->mutex);
  impl_->journal_bytes.Add({}).Set(static_cast<double>(state.journal_bytes));
  {
    std::lock_guard signers_lock(impl_->signers_mutex);
    for (const auto& [key, not_after] : impl_->signer_not_after)
      impl_->signers.Add({{"sender", key.first}, {"fingerprint", key.second}})
          .Set(std::chrono::duration<double>(not_after - state.now).count() / 86400.0);
  }
  impl_->journal.Add({}).Set(static_cast<double>(state.delivery.last_sequence));
  impl_->entries.Add({}).Set(static_cast<double>(state.journal_entries));
  impl_->backlog.Add({}).Set(static_cast<double>(state.delivery.backlog));
  impl_->connected.Add({}).Set(static_cast<double>(state.delivery.connected));
  impl_->dead.Add({}).Set(static_cast<double>(state.dead_letters));
  impl_->storage.Add({}).Set(state.delivery.storage_error.empty() ? 0 : 1);
  for (const auto& consumer : state.consumers)
    impl_->lag.Add({{"consumer", consumer.name}}).Set(static_cast<double>(consumer.behind));
  for (const auto& item : state.trust) {
    const double days = std::chrono::duration<double>(item.expires - state.now).count() / 86400.0;
    impl_->expiry
        .Add({{"kind", item.kind == signing::TrustItem::Kind::Anchor ? "anchor" : "crl"}, {"name", item.name},
              {"file", item.file}})
        .Set(days);
  }
  return prometheus::TextSerializer().Serialize(impl_->registry.Collect());
}

std::map<std::string, std::uint64_t> GatewayMetrics::requests_by_code() const {
  std::map<std::string, std::uint64_t> counts;
  for (const auto& family : impl_->registry.Collect()) {
    if (family.name != "stagegate_requests_total") continue;
    for (const auto& metric : family.metric)
      for (const auto& label : metric.label)
        if (label.name == "code") counts[label.value] += static_cast<std::uint64_t>(metric.counter.value);
  }
  return counts;
}

}  // namespace stagegate::app
