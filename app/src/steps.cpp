#include "stagegate/app/steps.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <type_traits>
#include <variant>

#include "stagegate/routing/normalize.h"

namespace stagegate::app {
namespace {

struct RoutedService {
  std::string_view service_id;
  std::string_view topic;
};
// CONTRACT.md section 1: the serviceIds the gateway routes.
constexpr std::array kRoutedServices{RoutedService{"STAGE_NOTIFICATION", "stage"},
                                     RoutedService{"SERVICE_INFO", "kb"}};

const RoutedService* find_service(std::string_view service_id) {
  for (const auto& service : kRoutedServices)
    if (service.service_id == service_id) return &service;
  return nullptr;
}

// First: the journal's commit may wait for this message while it is verified.
class AnnounceToJournal final : public Step {
 public:
  explicit AnnounceToJournal(bus::Journal& journal) : journal_(journal) {}
  std::string_view name() const override { return "announce_to_journal"; }
  Status process(Exchange& exchange) override {
    exchange.on_its_way = journal_.announce();
    return proceed();
  }

 private:
  bus::Journal& journal_;
};

class AuthenticateSender final : public Step {
 public:
  explicit AuthenticateSender(const Reloadable<signing::ProviderRegistry>& registry) : registry_(registry) {}
  std::string_view name() const override { return "authenticate_sender"; }
  Status process(Exchange& exchange) override {
    auto provider = registry_.snapshot()->authenticate(exchange.inbound.sender_id, exchange.inbound.password);
    if (!provider) return provider.refusal();
    if (auto bound = signing::check_client_certificate(provider.value(), exchange.inbound.client_certificate); !bound)
      return bound.refusal();
    const auto* service = find_service(exchange.inbound.service_id);
    if (!service) return refuse(Code::ServiceUnknown, "serviceId is not routed by this gateway");
    const auto& allowed = provider->services;
    if (std::find(allowed.begin(), allowed.end(), exchange.inbound.service_id) == allowed.end())
      return refuse(Code::SenderAuth, "sender is not registered for serviceId " + exchange.inbound.service_id);
    exchange.provider = std::move(provider).value();
    exchange.topic = std::string(service->topic);
    return proceed();
  }

 private:
  const Reloadable<signing::ProviderRegistry>& registry_;
};

class VerifySignature final : public Step {
 public:
  explicit VerifySignature(const Reloadable<signing::Verifier>& verifier) : verifier_(verifier) {}
  std::string_view name() const override { return "verify_signature"; }
  Status process(Exchange& exchange) override {
    auto verified = verifier_.snapshot()->verify(exchange.inbound.document);
    if (!verified) return verified.refusal();
    exchange.verified = std::move(verified).value();
    return proceed();
  }

 private:
  const Reloadable<signing::Verifier>& verifier_;
};

class AuthorizeSigner final : public Step {
 public:
  std::string_view name() const override { return "authorize_signer"; }
  Status process(Exchange& exchange) override {
    const auto& signer_bin = exchange.verified->signer.organization_bin;
    if (signer_bin.empty()) return refuse(Code::SignerNotAuthorized, "signer certificate carries no OU=BIN");
    if (signer_bin != exchange.provider->bin)
      return refuse(Code::SignerNotAuthorized, "signer certificate's BIN is not the sending provider's BIN");
    return proceed();
  }
};

class NormalizeDocument final : public Step {
 public:
  std::string_view name() const override { return "normalize_document"; }
  Status process(Exchange& exchange) override {
    const auto& canonical = exchange.verified->canonical_xml;
    if (exchange.topic == "stage") {
      auto event = routing::normalize_stage(canonical, exchange.inbound.received_at);
      if (!event) return event.refusal();
      if (event->provider_bin != exchange.provider->bin)
        return refuse(Code::DataInvalid, "provider/@bin does not match the sending provider");
      exchange.payload = routing::to_json(event.value());
      exchange.routing_key = routing::RoutingKey{exchange.inbound.service_id, event->service_code, event->stage,
                                                 exchange.provider->bin};
      exchange.normalized = std::move(event).value();
    } else {
      auto info = routing::normalize_service_info(canonical);
      if (!info) return info.refusal();
      exchange.payload = routing::to_json(info.value());
      exchange.routing_key =
          routing::RoutingKey{exchange.inbound.service_id, info->registry_number, std::nullopt, exchange.provider->bin};
      exchange.normalized = std::move(info).value();
    }
    return proceed();
  }
};

class RouteMessage final : public Step {
 public:
  explicit RouteMessage(const Reloadable<routing::RoutingRules>& rules) : rules_(rules) {}
  std::string_view name() const override { return "route_message"; }
  Status process(Exchange& exchange) override {
    const auto write = [&exchange](const routing::FieldFilter& keep) {
      return std::visit(
          [&keep](const auto& message) -> std::string {
            if constexpr (std::is_same_v<std::decay_t<decltype(message)>, std::monostate>)
              throw std::logic_error("route_message runs after normalize_document");
            else
              return routing::to_json(message, keep);
          },
          exchange.normalized);
    };
    exchange.routes = rules_.snapshot()->route(*exchange.routing_key, exchange.payload, write);
    return proceed();
  }

 private:
  const Reloadable<routing::RoutingRules>& rules_;
};

class Admit final : public Step {
 public:
  explicit Admit(const bus::Dispatcher& dispatcher) : dispatcher_(dispatcher) {}
  std::string_view name() const override { return "admit"; }
  Status process(Exchange&) override { return dispatcher_.admission(); }

 private:
  const bus::Dispatcher& dispatcher_;
};

class AppendToJournal final : public Step {
 public:
  AppendToJournal(bus::Journal& journal, std::function<void()> on_appended)
      : journal_(journal), on_appended_(std::move(on_appended)) {}
  std::string_view name() const override { return "append_to_journal"; }
  Status process(Exchange& exchange) override {
    exchange.on_its_way = {};  // this thread waits for the commit: nothing more is on its way
    return record(exchange, journal_.append(input_from(exchange)));
  }

  void process_async(Exchange& exchange, std::function<void(Status)> done) override {
    journal_.append_async(input_from(exchange), [this, &exchange, done = std::move(done)](Result<Receipt> receipt) {
      done(record(exchange, std::move(receipt)));
    });
    exchange.on_its_way = {};  // after the append is queued: the commit never misses it
  }

 private:
  // The exchange is done with the normalized payload and the routes: they move.
  static bus::JournalInput input_from(Exchange& exchange) {
    bus::JournalInput input;
    input.sender_id = exchange.inbound.sender_id;
    input.message_id = exchange.inbound.message_id;
    input.service_id = exchange.inbound.service_id;
    input.topic = exchange.topic;
    input.payload = std::move(exchange.payload);
    input.document = exchange.inbound.document;
    for (auto& route : exchange.routes) input.routes.push_back({std::move(route.destination), std::move(route.payload)});
    return input;
  }

  Status record(Exchange& exchange, Result<Receipt> receipt) {
    if (!receipt) return receipt.refusal();
    exchange.receipt = receipt.value();
    if (!receipt->duplicate && on_appended_) on_appended_();
    return proceed();
  }

  bus::Journal& journal_;
  std::function<void()> on_appended_;
};

}  // namespace

std::unique_ptr<Step> announce_to_journal(bus::Journal& journal) { return std::make_unique<AnnounceToJournal>(journal); }
std::unique_ptr<Step> authenticate_sender(const Reloadable<signing::ProviderRegistry>& registry) {
  return std::make_unique<AuthenticateSender>(registry);
}
std::unique_ptr<Step> verify_signature(const Reloadable<signing::Verifier>& verifier) {
  return std::make_unique<VerifySignature>(verifier);
}
std::unique_ptr<Step> route_message(const Reloadable<routing::RoutingRules>& rules) {
  return std::make_unique<RouteMessage>(rules);
}
std::unique_ptr<Step> admit(const bus::Dispatcher& dispatcher) { return std::make_unique<Admit>(dispatcher); }
std::unique_ptr<Step> authorize_signer() { return std::make_unique<AuthorizeSigner>(); }
std::unique_ptr<Step> normalize_document() { return std::make_unique<NormalizeDocument>(); }
std::unique_ptr<Step> append_to_journal(bus::Journal& journal, std::function<void()> on_appended) {
  return std::make_unique<AppendToJournal>(journal, std::move(on_appended));
}

}  // namespace stagegate::app
