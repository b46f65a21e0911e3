#include "stagegate/app/pipeline.h"

#include <exception>
#include <future>
#include <utility>

namespace stagegate::app {

// One message on its way through the steps; shared by the continuations of a step that
// finishes later, so it lives until the last of them.
struct Pipeline::InFlight {
  InFlight(InboundMessage m, Completion d, bool waits) : message(std::move(m)), exchange(message), done(std::move(d)), waits_inline(waits) {}
  InboundMessage message;
  Exchange exchange;  // refers to `message`
  Completion done;
  bool waits_inline;  // handle(): every step's process() on this thread
  std::size_t next = 0;
  bool finished = false;
};

Pipeline& Pipeline::add(std::unique_ptr<Step> step) {
  steps_.push_back(std::move(step));
  return *this;
}

Pipeline& Pipeline::observe(StepObserver observer) {
  observer_ = std::move(observer);
  return *this;
}

Result<Receipt> Pipeline::handle(const InboundMessage& message) {
  std::optional<Result<Receipt>> outcome;
  auto flight = std::make_shared<InFlight>(message, [&outcome](Result<Receipt> result) { outcome = std::move(result); }, true);
  advance(flight);
  if (!outcome) return refuse(Code::Internal, "pipeline ended without an outcome");
  return std::move(*outcome);
}

void Pipeline::handle_async(InboundMessage message, Completion done) {
  advance(std::make_shared<InFlight>(std::move(message), std::move(done), false));
}

void Pipeline::advance(const std::shared_ptr<InFlight>& flight) {
  if (flight->next == steps_.size()) {
    if (!flight->exchange.receipt) return finish(*flight, refuse(Code::Internal, "pipeline ended without a journal receipt"));
    return finish(*flight, *flight->exchange.receipt);
  }
  Step& step = *steps_[flight->next++];
  const auto started = std::chrono::steady_clock::now();
  auto after = [this, flight, &step, started](const Status& status) {
    if (observer_) observer_(step.name(), std::chrono::steady_clock::now() - started, flight->exchange);
    if (!status) return finish(*flight, status.refusal());
    advance(flight);
  };
  try {
    if (flight->waits_inline) after(step.process(flight->exchange));
    else step.process_async(flight->exchange, std::move(after));
  } catch (const std::exception& error) {
    // A step that throws has a bug; the provider gets INTERNAL and may retry, nothing is stored.
    finish(*flight, refuse(Code::Internal, std::string(step.name()) + " failed: " + error.what()));
  }
}

void Pipeline::finish(InFlight& flight, Result<Receipt> outcome) {
  // Once: a throw from what ran after a step (a later step's continuation) must not answer twice.
  if (std::exchange(flight.finished, true)) return;
  flight.done(std::move(outcome));
}

}  // namespace stagegate::app
