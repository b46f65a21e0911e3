#include "stagegate/app/gateway.h"

#include <iostream>
#include <mutex>
#include <optional>

#include "file_watch.h"
#include "stagegate/app/pipeline.h"
#include "stagegate/app/steps.h"
#include "stagegate/bus/dispatcher.h"
#include "stagegate/bus/journal.h"
#include "stagegate/core/clock.h"
#include "stagegate/core/log_field.h"
#include "stagegate/signing/provider_registry.h"

namespace stagegate::app {
namespace {

// One line per message for operators. senderId, messageId and serviceId identify systems,
// not people; the document and its fields are never logged.
class LoggedHandler final : public MessageHandler {
 public:
  explicit LoggedHandler(MessageHandler& inner) : inner_(inner) {}
  Result<Receipt> handle(const InboundMessage& message) override {
    auto result = inner_.handle(message);
    std::lock_guard lock(mutex_);
    // Fields the client chose are quoted and escaped: none can start a line of its own.
    std::clog << now_utc() << ' ';
    if (result)
      std::clog << (result->duplicate ? "duplicate" : "accepted") << " seq=" << result->sequence;
    else
      std::clog << "refused code=" << contract_code(result.refusal().code) << " reason=" << log_field(result.refusal().reason);
    std::clog << " sender=" << log_field(message.sender_id) << " service=" << log_field(message.service_id)
              << " messageId=" << log_field(message.message_id) << '\n';
    return result;
  }

 private:
  MessageHandler& inner_;
  std::mutex mutex_;
};

}  // namespace

struct Gateway::Impl {
  GatewayConfig config;
  Reloadable<signing::ProviderRegistry> registry;
  Reloadable<signing::Verifier> verifier;
  Reloadable<routing::RoutingRules> rules;
  std::mutex reload_mutex;
  bus::Journal journal;
  bus::Dispatcher dispatcher;
  Pipeline pipeline;
  LoggedHandler logged{pipeline};
  adapters::SoapServer server;

  explicit Impl(GatewayConfig c)
      : config(std::move(c)),
        registry(signing::ProviderRegistry::load(config.providers)),
        verifier(signing::Verifier::create(config.trust)),
        rules(load_rules()),
        journal(bus::Journal::open(config.journal)),
        dispatcher(journal, config.bus_endpoint, config.delivery),
        server(config.log_messages ? static_cast<MessageHandler&>(logged) : pipeline, with_health(config.server)) {
    pipeline.add(authenticate_sender(registry))
        .add(verify_signature(verifier))
        .add(authorize_signer())
        .add(normalize_document())
        .add(route_message(rules))
        .add(admit(dispatcher))
        .add(append_to_journal(journal, nullptr));
    journal.on_commit([this](std::uint64_t) { dispatcher.notify(); });
  }

  ~Impl() {
    server.stop();
    journal.on_commit(nullptr);
  }

  // GET /health: 503 with the reason while the delivery thread cannot write its state (it
  // keeps delivering and retries; positions are kept in memory meanwhile).
  adapters::ServerConfig with_health(adapters::ServerConfig server_config) {
    server_config.health = [this] {
      HealthReport report;
      if (const auto error = dispatcher.stats().storage_error; !error.empty()) {
        report.healthy = false;
        report.problems.push_back("delivery storage: " + error);
      }
      return report;
    };
    return server_config;
  }

  routing::RoutingRules load_rules() const {
    return config.routes.empty() ? routing::RoutingRules::defaults() : routing::RoutingRules::load(config.routes);
  }

  ReloadOutcome reload() {
    std::lock_guard lock(reload_mutex);
    try {
      // All are built before any is switched, so a bad file changes nothing.
      auto next_registry = signing::ProviderRegistry::load(config.providers);
      auto next_verifier = signing::Verifier::create(config.trust);
      auto next_rules = load_rules();
      std::optional<bus::ConsumerRegistry> next_consumers;  // [bus auth]
      if (const auto& security = config.delivery.security) next_consumers = bus::ConsumerRegistry::load(security->consumers_file);
      registry.replace(std::move(next_registry));
      if (next_consumers) dispatcher.replace_consumers(std::move(*next_consumers));
      verifier.replace(std::move(next_verifier));
      rules.replace(std::move(next_rules));
    } catch (const std::exception& error) {
      return {false, std::string("reload refused, the running configuration stays: ") + error.what()};
    }
    return {true, "reloaded " + config.providers.string() + ", " + std::to_string(config.trust.anchors.size()) +
                      " trust anchor path(s), " + std::to_string(config.trust.crls.size()) + " CRL path(s) and " +
                      (config.routes.empty() ? std::string("the built-in routing rules") : config.routes.string()) +
                      (config.delivery.security ? ", bus consumers " + config.delivery.security->consumers_file.string() : std::string())};
  }

  std::vector<std::filesystem::path> watched_paths() const {
    std::vector<std::filesystem::path> paths{config.providers};
    paths.insert(paths.end(), config.trust.anchors.begin(), config.trust.anchors.end());
    paths.insert(paths.end(), config.trust.crls.begin(), config.trust.crls.end());
    if (!config.routes.empty()) paths.push_back(config.routes);
    if (config.delivery.security) paths.push_back(config.delivery.security->consumers_file);  // [bus auth]
    return paths;
  }

  void reload_and_log() {
    const auto outcome = reload();
    std::clog << now_utc() << " stagegate: " << outcome.message << std::endl;
  }

  std::unique_ptr<FileWatch> watch;
};

Gateway::Gateway(GatewayConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Gateway::~Gateway() { stop(); }
void Gateway::start() {
  impl_->server.start();
  if (impl_->config.reload_poll.count() > 0 && !impl_->watch)
    impl_->watch = std::make_unique<FileWatch>(impl_->watched_paths(), impl_->config.reload_poll,
                                               [impl = impl_.get()] { impl->reload_and_log(); });
}
void Gateway::stop() {
  impl_->watch.reset();
  impl_->server.stop();
}
ReloadOutcome Gateway::reload() { return impl_->reload(); }
int Gateway::soap_port() const { return impl_->server.port(); }
std::string Gateway::bus_endpoint() const { return impl_->dispatcher.endpoint(); }
std::uint64_t Gateway::journaled() const { return impl_->journal.count(); }

}  // namespace stagegate::app
