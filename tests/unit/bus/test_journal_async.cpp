// append_async: the receipt arrives once its batch is committed, through the completion
// executor (one hand-off per commit) or on the committing thread.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "stagegate/bus/journal.h"
#include "support/temp_dir.h"

using namespace stagegate;
using namespace std::chrono_literals;

namespace {

bus::JournalInput async_input(const std::string& message_id) {
  return bus::JournalInput{"akimat", message_id, "STAGE_NOTIFICATION", "stage", "{}", "<doc/>", {{"monitoring", "{}"}}};
}

// Collects outcomes as they complete, with the thread each completed on.
struct Outcomes {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<std::pair<Result<Receipt>, std::thread::id>> received;
  std::function<void(Result<Receipt>)> collector() {
    return [this](Result<Receipt> outcome) {
      std::lock_guard lock(mutex);
      received.emplace_back(std::move(outcome), std::this_thread::get_id());
      arrived.notify_all();
    };
  }
  bool wait_for(std::size_t count) {
    std::unique_lock lock(mutex);
    return arrived.wait_for(lock, 10s, [&] { return received.size() >= count; });
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(journal_async)

BOOST_AUTO_TEST_CASE(receipts_arrive_after_the_commit_with_duplicates_recognised) {
  test::TempDir dir("journal-async");
  auto journal = bus::Journal::open(dir / "journal.db");
  Outcomes outcomes;
  journal.append_async(async_input("m1"), outcomes.collector());
  journal.append_async(async_input("m2"), outcomes.collector());
  journal.append_async(async_input("m1"), outcomes.collector());
  BOOST_REQUIRE(outcomes.wait_for(3));
  std::lock_guard lock(outcomes.mutex);
  BOOST_REQUIRE(outcomes.received[0].first.ok());
  BOOST_TEST(outcomes.received[0].first->sequence == 1u);
  BOOST_TEST(outcomes.received[1].first->sequence == 2u);
  BOOST_TEST(outcomes.received[2].first->sequence == 1u);
  BOOST_TEST(outcomes.received[2].first->duplicate);
  // Without an executor they complete on the committing thread, never the caller's.
  BOOST_TEST((outcomes.received[0].second != std::this_thread::get_id()));
  BOOST_TEST(journal.count() == 2u);
  BOOST_TEST(journal.read(2)->message_id == "m2");
}

BOOST_AUTO_TEST_CASE(a_batch_reaches_the_executor_in_one_hand_off) {
  test::TempDir dir("journal-async");
  auto journal = bus::Journal::open(dir / "journal.db");
  std::mutex mutex;
  std::vector<std::size_t> hand_offs;
  std::vector<std::thread> runners;
  journal.complete_on([&](std::vector<std::function<void()>> completions) {
    std::lock_guard lock(mutex);
    hand_offs.push_back(completions.size());
    runners.emplace_back([completions = std::move(completions)] {
      for (const auto& completion : completions) completion();
    });
  });
  Outcomes outcomes;
  constexpr int kMessages = 200;
  std::vector<std::thread> appenders;
  for (int t = 0; t < 4; ++t)
    appenders.emplace_back([&, t] {
      for (int i = 0; i < kMessages / 4; ++i) journal.append_async(async_input("m" + std::to_string(t * 1000 + i)), outcomes.collector());
    });
  for (auto& appender : appenders) appender.join();
  BOOST_REQUIRE(outcomes.wait_for(kMessages));
  journal.complete_on(nullptr);
  std::lock_guard lock(mutex);
  for (auto& runner : runners) runner.join();
  std::size_t completed = 0;
  for (const auto size : hand_offs) completed += size;
  BOOST_TEST(completed == static_cast<std::size_t>(kMessages));
  BOOST_TEST(hand_offs.size() < static_cast<std::size_t>(kMessages));  // batches share a hand-off
  BOOST_TEST(journal.count() == static_cast<std::uint64_t>(kMessages));
  // Sequences are handed out once each.
  std::set<std::uint64_t> sequences;
  for (const auto& [outcome, thread] : outcomes.received) sequences.insert(outcome->sequence);
  BOOST_TEST(sequences.size() == static_cast<std::size_t>(kMessages));
}

BOOST_AUTO_TEST_CASE(waiting_appends_never_go_through_the_executor) {
  // A worker that waits (append) while the executor's queue is what would run its completion
  // would wait forever: waiting appends are answered on the committing thread.
  test::TempDir dir("journal-async");
  auto journal = bus::Journal::open(dir / "journal.db");
  int executor_calls = 0;
  journal.complete_on([&](std::vector<std::function<void()>>) { ++executor_calls; });
  const auto receipt = journal.append(async_input("m1"));
  BOOST_REQUIRE(receipt.ok());
  BOOST_TEST(receipt->sequence == 1u);
  journal.complete_on(nullptr);
  BOOST_TEST(executor_calls == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(commit_window)

BOOST_AUTO_TEST_CASE(a_commit_waits_for_an_announced_append_and_not_for_nothing) {
  test::TempDir dir("journal-window");
  bus::JournalOptions options;
  options.commit_window = std::chrono::milliseconds(2000);
  auto journal = bus::Journal::open(dir / "journal.db", options);
  std::mutex mutex;
  std::vector<std::size_t> hand_offs;
  journal.complete_on([&](std::vector<std::function<void()>> completions) {
    {
      std::lock_guard lock(mutex);
      hand_offs.push_back(completions.size());
    }
    for (const auto& completion : completions) completion();
  });
  Outcomes outcomes;
  // Nothing announced: committed at once, not after the window.
  const auto started = std::chrono::steady_clock::now();
  journal.append_async(async_input("alone"), outcomes.collector());
  BOOST_REQUIRE(outcomes.wait_for(1));
  BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1000)));

  // A message still being verified: the commit of the one before it waits and takes both.
  auto on_its_way = journal.announce();
  auto also_on_its_way = journal.announce();
  journal.append_async(async_input("first"), outcomes.collector());
  std::thread verifier([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    journal.append_async(async_input("second"), outcomes.collector());
    also_on_its_way = {};
  });
  on_its_way = {};  // "first" is queued
  BOOST_REQUIRE(outcomes.wait_for(3));
  verifier.join();
  std::lock_guard lock(mutex);
  BOOST_REQUIRE_EQUAL(hand_offs.size(), 2u);
  BOOST_TEST(hand_offs[1] == 2u);
  BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1900)));
}

BOOST_AUTO_TEST_CASE(an_announced_message_refused_on_its_way_ends_the_wait) {
  test::TempDir dir("journal-window");
  bus::JournalOptions options;
  options.commit_window = std::chrono::milliseconds(5000);
  auto journal = bus::Journal::open(dir / "journal.db", options);
  Outcomes outcomes;
  auto refused_later = journal.announce();
  const auto started = std::chrono::steady_clock::now();
  journal.append_async(async_input("m1"), outcomes.collector());
  std::thread refuser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    refused_later = {};
  });
  BOOST_REQUIRE(outcomes.wait_for(1));
  refuser.join();
  BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::milliseconds(2000)));
  std::lock_guard lock(outcomes.mutex);
  BOOST_TEST(outcomes.received[0].first->sequence == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
