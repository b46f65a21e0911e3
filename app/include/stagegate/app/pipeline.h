#pragma once
// The chain between the SOAP adapter and the journal (ARCHITECTURE.md): each step looks at
// the exchange and either lets it continue or refuses it with a CONTRACT.md code.
#include <functional>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "stagegate/bus/journal.h"
#include "stagegate/core/message.h"
#include "stagegate/routing/rules.h"
#include "stagegate/signing/provider_registry.h"
#include "stagegate/signing/verifier.h"

namespace stagegate::app {

// What the steps learn about one message as it passes.
struct Exchange {
  explicit Exchange(const InboundMessage& message) : inbound(message) {}
  const InboundMessage& inbound;
  std::optional<signing::Provider> provider;        // after sender authentication
  std::optional<signing::VerifiedDocument> verified;  // after signature verification
  std::string topic;    // the kind of message: "stage" or "kb"
  std::string payload;  // normalized JSON, read from verified bytes only
  // The normalized value the payload was written from: reduced copies are written from it.
  std::variant<std::monostate, routing::StageEvent, routing::ServiceInfo> normalized;
  std::optional<routing::RoutingKey> routing_key;  // after normalization
  std::vector<routing::RoutedPayload> routes;      // destinations and what each may see; moved into the journal
  std::optional<Receipt> receipt;  // after the journal append
  bus::Journal::Arrival on_its_way;  // from the start to the append: the commit may wait for it
};

class Step {
 public:
  virtual ~Step() = default;
  virtual std::string_view name() const = 0;
  virtual Status process(Exchange& exchange) = 0;
  // A step that waits (the journal's group commit) may finish later, on another thread, and
  // leave the caller's thread free meanwhile; `done` is called once. The default is process().
  virtual void process_async(Exchange& exchange, std::function<void(Status)> done) { done(process(exchange)); }
};

// Sees each step that ran, how long it took and the exchange after it (metrics).
using StepObserver = std::function<void(std::string_view step, std::chrono::steady_clock::duration elapsed,
                                        const Exchange& exchange)>;

class Pipeline final : public MessageHandler {
 public:
  Pipeline& add(std::unique_ptr<Step> step);
  // Set before requests arrive; called on the request's thread.
  Pipeline& observe(StepObserver observer);
  // Every step on this thread, waiting for the journal.
  Result<Receipt> handle(const InboundMessage& message) override;
  // The steps up to the journal on this thread; the rest, and `done`, where the journal's
  // commit completes.
  void handle_async(InboundMessage message, Completion done) override;

 private:
  struct InFlight;
  void advance(const std::shared_ptr<InFlight>& flight);
  void finish(InFlight& flight, Result<Receipt> outcome);

  std::vector<std::unique_ptr<Step>> steps_;
  StepObserver observer_;
};

}  // namespace stagegate::app
