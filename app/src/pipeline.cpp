#include "stagegate/app/pipeline.h"

#include <exception>

namespace stagegate::app {

Pipeline& Pipeline::add(std::unique_ptr<Step> step) {
  steps_.push_back(std::move(step));
  return *this;
}

Pipeline& Pipeline::observe(StepObserver observer) {
  observer_ = std::move(observer);
  return *this;
}

Result<Receipt> Pipeline::handle(const InboundMessage& message) {
  Exchange exchange(message);
  for (const auto& step : steps_) {
    try {
      const auto started = std::chrono::steady_clock::now();
      const auto status = step->process(exchange);
      if (observer_) observer_(step->name(), std::chrono::steady_clock::now() - started, exchange);
      if (!status) return status.refusal();
    } catch (const std::exception& error) {
      // A step that throws has a bug; the provider gets INTERNAL and may retry, nothing is stored.
      return refuse(Code::Internal, std::string(step->name()) + " failed: " + error.what());
    }
  }
  if (!exchange.receipt) return refuse(Code::Internal, "pipeline ended without a journal receipt");
  return *exchange.receipt;
}

}  // namespace stagegate::app
