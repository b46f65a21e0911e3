#include "stagegate/app/gateway.h"

#include <iostream>
#include <mutex>

#include "stagegate/app/pipeline.h"
#include "stagegate/app/steps.h"
#include "stagegate/bus/dispatcher.h"
#include "stagegate/bus/journal.h"
#include "stagegate/core/clock.h"
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
    std::clog << now_utc() << ' ';
    if (result)
      std::clog << (result->duplicate ? "duplicate" : "accepted") << " seq=" << result->sequence;
    else
      std::clog << "refused code=" << contract_code(result.refusal().code) << " reason=\"" << result.refusal().reason << '"';
    std::clog << " sender=" << message.sender_id << " service=" << message.service_id
              << " messageId=" << message.message_id << '\n';
    return result;
  }

 private:
  MessageHandler& inner_;
  std::mutex mutex_;
};

}  // namespace

struct Gateway::Impl {
  GatewayConfig config;
  signing::ProviderRegistry registry;
  signing::Verifier verifier;
  bus::Journal journal;
  bus::Dispatcher dispatcher;
  Pipeline pipeline;
  LoggedHandler logged{pipeline};
  adapters::SoapServer server;

  explicit Impl(GatewayConfig c)
      : config(std::move(c)),
        registry(signing::ProviderRegistry::load(config.providers)),
        verifier(signing::Verifier::create(config.trust)),
        journal(bus::Journal::open(config.journal)),
        dispatcher(journal, config.bus_endpoint),
        server(config.log_messages ? static_cast<MessageHandler&>(logged) : pipeline, config.server) {
    pipeline.add(authenticate_sender(registry))
        .add(verify_signature(verifier))
        .add(authorize_signer())
        .add(normalize_document())
        .add(append_to_journal(journal, [this] { dispatcher.notify(); }));
  }
};

Gateway::Gateway(GatewayConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Gateway::~Gateway() { stop(); }
void Gateway::start() { impl_->server.start(); }
void Gateway::stop() { impl_->server.stop(); }
int Gateway::soap_port() const { return impl_->server.port(); }
std::string Gateway::bus_endpoint() const { return impl_->dispatcher.endpoint(); }
std::uint64_t Gateway::journaled() const { return impl_->journal.count(); }

}  // namespace stagegate::app
