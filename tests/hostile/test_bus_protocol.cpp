// The delivery protocol against hostile consumers and gateway restarts, with the gateway's
// delivery half in its own process (bus_gateway_child): a HELLO flood with its memory
// measured, forged positions and NACKs, and SIGKILL/restart under load with a consumer that
// stays up (zero dead letters, zero losses).
#define BOOST_TEST_MODULE hostile_bus_protocol
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <sqlite3.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "stagegate/bus/delivery_state.h"
#include "stagegate/bus/subscriber.h"
#include "support/child_process.h"
#include "support/ports.h"
#include "support/raw_consumer.h"
#include "support/temp_dir.h"

extern char** environ;

using namespace stagegate;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

std::string read_all(const fs::path& file) {
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// bus_gateway_child as a process: started, killed and restarted at will; its memory read
// from /proc.
class GatewayProcess {
 public:
  GatewayProcess(fs::path journal, std::string endpoint, fs::path log)
      : journal_(std::move(journal)), endpoint_(std::move(endpoint)), log_(std::move(log)) {}

  void start(int initial_messages, int append_every_ms) {
    stop(SIGKILL);
    fs::remove(log_);
    child_ = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{STAGEGATE_BUS_GATEWAY_CHILD, journal_.string(), endpoint_, std::to_string(initial_messages),
                                 std::to_string(append_every_ms)},
        log_);
    child_->start();
    BOOST_REQUIRE_MESSAGE(eventually([&] { return read_all(log_).find("ready ") != std::string::npos; }, 20s),
                          "the gateway child did not start: " << read_all(log_));
  }

  void stop(int signal) {
    if (child_) child_->stop(signal);
  }

  long rss_kib() const { return child_ ? child_->rss_kib() : -1; }

  std::string log() const { return read_all(log_); }

 private:
  fs::path journal_;
  std::string endpoint_;
  fs::path log_;
  std::unique_ptr<test::ChildProcess> child_;
};

struct HostileBusFixture {
  test::TempDir dir{"stagegate-hostile-bus"};
  fs::path journal = dir / "journal.db";
  std::string endpoint = "tcp://127.0.0.1:" + std::to_string(test::free_loopback_port());
  GatewayProcess gateway{journal, endpoint, dir / "gateway.log"};

  std::uint64_t last_journaled() const {
    sqlite3* raw = nullptr;
    sqlite3_open_v2(journal.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
    sqlite3_stmt* statement = nullptr;
    std::uint64_t last = 0;
    if (sqlite3_prepare_v2(db.get(), "SELECT COALESCE(MAX(sequence), 0) FROM journal", -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW)
      last = static_cast<std::uint64_t>(sqlite3_column_int64(statement, 0));
    sqlite3_finalize(statement);
    return last;
  }

  // Receives and acknowledges until `count` messages arrived; their sequences.
  static std::set<std::uint64_t> take_all(bus::Subscriber& subscriber, std::size_t count, std::chrono::milliseconds timeout) {
    std::set<std::uint64_t> sequences;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (sequences.size() < count && std::chrono::steady_clock::now() < deadline)
      if (const auto message = subscriber.receive(200ms)) {
        sequences.insert(message->sequence);
        subscriber.acknowledge(*message);
      }
    return sequences;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(hostile_bus_protocol, HostileBusFixture)

BOOST_AUTO_TEST_CASE(a_hello_flood_leaves_memory_bounded_and_costs_no_failure) {
  constexpr int kMessages = 20;
  constexpr int kConnections = 100;
  constexpr int kHellos = 20000;
  gateway.start(kMessages, 0);
  {  // warm up: a real consumer takes everything, so the baseline is a working gateway
    bus::Subscriber warm(bus::SubscriberConfig{endpoint, "warm", {}, 64, 0});
    BOOST_REQUIRE_EQUAL(take_all(warm, kMessages, 10s).size(), static_cast<std::size_t>(kMessages));
  }
  std::this_thread::sleep_for(500ms);
  const long before = gateway.rss_kib();

  const auto started = std::chrono::steady_clock::now();
  {
    std::vector<std::unique_ptr<test::RawConsumer>> flooders;
    for (int i = 0; i < kConnections; ++i) flooders.push_back(std::make_unique<test::RawConsumer>(endpoint));
    for (int i = 0; i < kHellos; ++i) {
      auto& flooder = *flooders[static_cast<std::size_t>(i % kConnections)];
      const auto name = i % 3 == 0 ? std::string() : "flood-" + std::to_string(i % 500);  // observers and named
      const auto processed = i % 7 == 0 ? std::string("99999999999") : std::string(i % 2 ? "0" : "1");
      flooder.send({"HELLO", name, i % 5 == 0 ? "stage,kb" : "", "4294967295", processed});
    }
    // The flooders never read. The gateway must stay responsive meanwhile.
    bus::Subscriber probe(bus::SubscriberConfig{endpoint, "", {}, 8, 1});
    BOOST_REQUIRE_EQUAL(take_all(probe, kMessages - 1, 30s).size(), static_cast<std::size_t>(kMessages - 1));
    std::this_thread::sleep_for(1s);
    const long during = gateway.rss_kib();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    BOOST_TEST_MESSAGE("HELLO flood: " << kHellos << " HELLOs from " << kConnections << " connections in " << seconds
                                       << " s; gateway RSS " << before << " KiB before, " << during
                                       << " KiB with the flooders connected (+" << (during - before) / 1024.0 << " MiB)");
    BOOST_TEST(during - before < 10 * 1024);
  }
  std::this_thread::sleep_for(1500ms);  // the flooders are gone
  const long after = gateway.rss_kib();
  BOOST_TEST_MESSAGE("  after the flooders left: " << after << " KiB (+" << (after - before) / 1024.0 << " MiB)");
  BOOST_TEST(after - before < 10 * 1024);

  auto state = bus::DeliveryState::open(journal);
  BOOST_TEST(state.dead_letters().empty());
  for (const auto& consumer : state.consumers()) BOOST_TEST(consumer.acknowledged <= static_cast<std::uint64_t>(kMessages));
  const auto log = gateway.log();
  const auto lines = std::count(log.begin(), log.end(), '\n');
  BOOST_TEST_MESSAGE("  gateway log: " << lines << " lines");
  BOOST_TEST(lines < 50);  // 20 lines per 10 s at most: the flood did not flood the log
}

BOOST_AUTO_TEST_CASE(forged_positions_and_nacks_change_nothing) {
  gateway.start(10, 0);
  // Window 1: each ACK leaves at once. With more credit the last ACK may wait while the next
  // message is queued here and nothing calls receive() (ACKs are cumulative, subscriber.h).
  bus::Subscriber real(bus::SubscriberConfig{endpoint, "monitoring", {}, 1, 0});
  BOOST_REQUIRE_EQUAL(take_all(real, 5, 10s).size(), 5u);
  auto state = bus::DeliveryState::open(journal);
  BOOST_REQUIRE(eventually([&] { return state.consumer("monitoring") && state.consumer("monitoring")->acknowledged >= 5; }, 5s));
  const auto stored = state.consumer("monitoring")->acknowledged;

  test::RawConsumer forger(endpoint);
  forger.send({"HELLO", "monitoring", "", "1000", "18446744073709551615"});
  const auto refused = forger.expect("ERROR", 5s);
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->at(1) == "processed position 18446744073709551615 is beyond the journal's last sequence 10");
  forger.send({"ACK", "1000000"});  // no session: WHO
  BOOST_TEST(forger.expect("WHO", 5s).has_value());
  forger.send({"NACK", "6", "forged"});
  BOOST_TEST(forger.expect("WHO", 5s).has_value());

  // With a session of its own under the same name, forged ACKs and NACKs still change nothing.
  forger.send({"HELLO", "monitoring", "", "1", "0"});
  const auto welcome = forger.expect("WELCOME", 5s);
  BOOST_REQUIRE(welcome.has_value());
  BOOST_TEST(welcome->at(1) == std::to_string(stored));
  forger.send({"ACK", "10"});  // journaled, not in flight to it
  forger.send({"ACK", "11"});  // beyond the journal
  BOOST_TEST(forger.expect("ERROR", 5s)->at(1) == "ACK 11 is beyond the journal's last sequence 10");
  forger.send({"NACK", "9", "forged"});
  std::this_thread::sleep_for(500ms);
  BOOST_TEST(state.consumer("monitoring")->acknowledged == stored);
  BOOST_TEST(state.failures_after("monitoring", 0).empty());
  BOOST_TEST(state.dead_letters().empty());
}

BOOST_AUTO_TEST_CASE(gateway_sigkilled_and_restarted_under_load_loses_and_poisons_nothing) {
  constexpr int kRestarts = 5;
  gateway.start(0, 3);  // appends a message every ~3 ms
  std::mutex received_mutex;
  std::set<std::uint64_t> received;
  std::size_t deliveries = 0;
  std::atomic<bool> consuming{true};
  std::thread consumer([&] {
    bus::Subscriber survivor(bus::SubscriberConfig{endpoint, "survivor", {}, 64, 0});
    while (consuming)
      if (const auto message = survivor.receive(100ms)) {
        {
          std::lock_guard lock(received_mutex);
          received.insert(message->sequence);
          ++deliveries;
        }
        std::this_thread::sleep_for(5ms);  // slower than the appends: a full window is in flight at a kill
        survivor.acknowledge(*message);
      }
  });
  std::mt19937 random(20261123);
  const auto started = std::chrono::steady_clock::now();
  for (int restart = 0; restart < kRestarts; ++restart) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(800, 1600)(random)));
    gateway.stop(SIGKILL);
    // Down long enough for the consumer to queue ACKs, PINGs and a HELLO of its own.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(500, 3500)(random)));
    gateway.start(0, restart + 1 < kRestarts ? 3 : 0);  // the last run only delivers
  }
  auto state = bus::DeliveryState::open(journal);
  const auto last = last_journaled();
  const bool caught_up = eventually(
      [&] {
        std::lock_guard lock(received_mutex);
        return received.size() >= last;
      },
      30s);
  consuming = false;
  consumer.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::size_t missing = 0;
  for (std::uint64_t sequence = 1; sequence <= last; ++sequence) missing += received.count(sequence) == 0;
  const auto letters = state.dead_letters();
  const auto failures = state.failures_after("survivor", 0);
  BOOST_TEST_MESSAGE("restart test: gateway SIGKILLed " << kRestarts << " times in " << seconds << " s; " << last
                                                        << " messages journaled, " << received.size() << " received ("
                                                        << deliveries << " deliveries), " << missing << " missing, "
                                                        << letters.size() << " dead letters, " << failures.size()
                                                        << " messages with failures");
  BOOST_TEST(caught_up);
  BOOST_TEST(last > 500u);
  BOOST_TEST(missing == 0u);
  BOOST_TEST(*received.rbegin() == last);
  BOOST_TEST(letters.empty());
  BOOST_TEST(failures.empty());
}

BOOST_AUTO_TEST_SUITE_END()
