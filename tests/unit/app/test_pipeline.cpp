#define BOOST_TEST_MODULE app
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "stagegate/app/pipeline.h"

using namespace stagegate;
using namespace stagegate::app;
using namespace std::chrono_literals;

namespace {

// Reads what the message carries into the exchange, or refuses or throws when told to.
class Inspect final : public Step {
 public:
  explicit Inspect(std::string behaviour = "") : behaviour_(std::move(behaviour)) {}
  std::string_view name() const override { return "inspect"; }
  Status process(Exchange& exchange) override {
    if (behaviour_ == "refuse") return refuse(Code::DataInvalid, "stage unknown");
    if (behaviour_ == "throw") throw std::runtime_error("a bug");
    exchange.topic = exchange.inbound.document;
    return proceed();
  }

 private:
  std::string behaviour_;
};

// Stands in for the journal: a receipt now (process) or later from its own thread (process_async).
class LaterReceipt final : public Step {
 public:
  std::string_view name() const override { return "later_receipt"; }
  Status process(Exchange& exchange) override {
    exchange.receipt = Receipt{7, "2026-11-22T10:00:00.000Z", false};
    return proceed();
  }
  void process_async(Exchange& exchange, std::function<void(Status)> done) override {
    std::lock_guard lock(mutex);
    completers.emplace_back([&exchange, done = std::move(done)] {
      std::this_thread::sleep_for(50ms);
      exchange.receipt = Receipt{8, "2026-11-22T10:00:00.000Z", false};
      done(proceed());
    });
  }
  ~LaterReceipt() override {
    for (auto& completer : completers) completer.join();
  }
  std::mutex mutex;
  std::vector<std::thread> completers;
};

InboundMessage message(const std::string& document) {
  InboundMessage inbound;
  inbound.message_id = "m-1";
  inbound.document = document;
  return inbound;
}

struct Finished {
  std::promise<std::pair<Result<Receipt>, std::thread::id>> promise;
  int calls = 0;
  Completion completion() {
    return [this](Result<Receipt> outcome) {
      ++calls;
      promise.set_value({std::move(outcome), std::this_thread::get_id()});
    };
  }
};

// handle_async's outcome, waited for.
Result<Receipt> outcome_of(Pipeline& pipeline, const std::string& document) {
  Finished finished;
  auto outcome = finished.promise.get_future();
  pipeline.handle_async(message(document), finished.completion());
  BOOST_REQUIRE((outcome.wait_for(5s) == std::future_status::ready));
  BOOST_TEST(finished.calls == 1);
  return outcome.get().first;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(pipeline)

BOOST_AUTO_TEST_CASE(a_waiting_step_finishes_on_its_own_thread_after_the_caller_moved_on) {
  Pipeline pipeline;
  auto later = std::make_unique<LaterReceipt>();
  auto& completers = *later;
  std::vector<std::string> observed;
  std::string topic_seen;
  pipeline.add(std::make_unique<Inspect>()).add(std::move(later)).observe([&](std::string_view step, auto, const Exchange& exchange) {
    observed.emplace_back(step);
    topic_seen = exchange.topic;
  });
  Finished finished;
  auto outcome = finished.promise.get_future();
  {
    auto inbound = message("<d>stage</d>");
    pipeline.handle_async(std::move(inbound), finished.completion());
  }  // the caller's message is gone: the pipeline keeps its own
  BOOST_TEST((outcome.wait_for(0ms) == std::future_status::timeout));  // the caller's thread did not wait
  BOOST_REQUIRE((outcome.wait_for(5s) == std::future_status::ready));
  auto [result, thread] = outcome.get();
  BOOST_REQUIRE(result.ok());
  BOOST_TEST(result->sequence == 8u);
  BOOST_TEST((thread != std::this_thread::get_id()));
  BOOST_TEST(observed == (std::vector<std::string>{"inspect", "later_receipt"}), boost::test_tools::per_element());
  BOOST_TEST(topic_seen == "<d>stage</d>");
  BOOST_TEST(finished.calls == 1);
  (void)completers;
}

BOOST_AUTO_TEST_CASE(handle_runs_every_step_here) {
  Pipeline pipeline;
  pipeline.add(std::make_unique<Inspect>()).add(std::make_unique<LaterReceipt>());
  const auto result = pipeline.handle(message("<d/>"));
  BOOST_REQUIRE(result.ok());
  BOOST_TEST(result->sequence == 7u);
}

BOOST_AUTO_TEST_CASE(a_refusal_ends_the_chain_once) {
  Pipeline pipeline;
  pipeline.add(std::make_unique<Inspect>("refuse")).add(std::make_unique<LaterReceipt>());
  const auto result = outcome_of(pipeline, "<d/>");
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST((result.refusal().code == Code::DataInvalid));
}

BOOST_AUTO_TEST_CASE(a_step_that_throws_is_internal_and_named) {
  Pipeline pipeline;
  pipeline.add(std::make_unique<Inspect>("throw")).add(std::make_unique<LaterReceipt>());
  const auto result = outcome_of(pipeline, "<d/>");
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST((result.refusal().code == Code::Internal));
  BOOST_TEST(result.refusal().reason == "inspect failed: a bug");
  BOOST_TEST(!pipeline.handle(message("<d/>")).ok());
}

BOOST_AUTO_TEST_CASE(no_receipt_at_the_end_is_internal) {
  Pipeline pipeline;
  pipeline.add(std::make_unique<Inspect>());
  const auto result = pipeline.handle(message("<d/>"));
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST((result.refusal().code == Code::Internal));
}

BOOST_AUTO_TEST_SUITE_END()
