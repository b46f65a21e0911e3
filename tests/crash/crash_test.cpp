// Nothing accepted is ever lost, whatever is killed: a real gateway process and two real
// consumer processes (`stagegate tail --name --store`) are SIGKILLed at random moments and
// restarted while a load generator posts signed messages. At the end every message that
// got SCSS001 is in every consumer's store exactly once, and no refused message is in the
// journal or a store.
//   crash_test STAGEGATE_BINARY SAMPLE_STAGE_XML [messages=20000]
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sqlite3.h>

#include "stagegate/adapters/bus_client.h"
#include "stagegate/signing/signer.h"
#include "support/child_process.h"
#include "support/files.h"
#include "support/ports.h"
#include "support/temp_dir.h"

using namespace stagegate;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

extern char** environ;

namespace {

std::set<std::uint64_t> sequences_in(const fs::path& database, const char* sql) {
  std::set<std::uint64_t> sequences;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK)
      while (sqlite3_step(statement) == SQLITE_ROW) sequences.insert(static_cast<std::uint64_t>(sqlite3_column_int64(statement, 0)));
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return sequences;
}

std::uint64_t scalar(const fs::path& database, const char* sql) {
  const auto values = sequences_in(database, sql);
  return values.empty() ? 0 : *values.begin();
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc < 3) {
    std::cerr << "usage: crash_test STAGEGATE_BINARY SAMPLE_STAGE_XML [messages]\n";
    return 2;
  }
  const std::string binary = argv[1];
  const int messages = argc > 3 ? std::atoi(argv[3]) : 20000;
  test::TempDir dir("stagegate-crash");
  const auto var = dir / "var";
  if (std::system((binary + " dev-setup --var " + var.string() + " > " + (dir / "setup.log").string()).c_str()) != 0)
    throw std::runtime_error("dev-setup failed");
  const auto good = signing::sign_enveloped(test::read_text(argv[2]), var / "pki" / "provider.key", var / "pki" / "provider.pem");
  if (!good) throw std::runtime_error("signing failed");
  auto bad = good.value();
  bad.replace(bad.find("<receptionPlace>") + 16, 0, "X");  // refused SIGNATURE_INVALID

  const int soap_port = test::free_loopback_port();
  const int bus_port = test::free_loopback_port();
  const auto url = "http://127.0.0.1:" + std::to_string(soap_port) + "/";
  const auto bus = "tcp://127.0.0.1:" + std::to_string(bus_port);
  test::ChildProcess gateway({binary, "serve", "--var", var.string(), "--listen", "127.0.0.1:" + std::to_string(soap_port), "--bus", bus,
                 "--quiet", "--workers", "8", "--reload-poll", "0"},
                dir / "gateway.log");
  std::vector<std::unique_ptr<test::ChildProcess>> consumers;
  const std::vector<std::string> consumer_names{"monitoring", "notification"};
  for (const auto& name : consumer_names)
    consumers.push_back(std::make_unique<test::ChildProcess>(
        // --var: the consumer's CURVE key var/bus/NAME.key and the gateway's var/bus/gateway.pub.
        std::vector<std::string>{binary, "tail", "--endpoint", bus, "--var", var.string(), "--name", name, "--store", (dir / (name + ".db")).string(),
                                 "--destination", name, "--quiet", "--window", "128"},
        dir / (name + ".log")));
  gateway.start();
  for (auto& consumer : consumers) consumer->start();

  // --- load: every message is retried with its messageId until it gets an answer --------
  std::mutex results_mutex;
  std::set<std::uint64_t> accepted;
  std::set<std::string> refused;
  std::atomic<int> next{0};
  std::atomic<int> retries{0};
  std::atomic<bool> loading{true};
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int c = 0; c < 6; ++c)
    clients.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < messages;) {
        const bool refusable = i % 100 == 99;
        adapters::OutboundMessage message;
        message.sender_id = "dev-provider";
        message.password = "dev-password";
        message.message_id = (refusable ? "bad-" : "ok-") + std::to_string(i);
        message.document = refusable ? bad : good.value();
        for (;;) {
          const auto reply = adapters::send_message(url, message, 5);
          if (reply.transport_ok && reply.status_code == "SCSS001" && reply.sequence) {
            std::lock_guard lock(results_mutex);
            accepted.insert(*reply.sequence);
            break;
          }
          if (reply.transport_ok && reply.status_code != "OVERLOADED" && reply.status_code != "INTERNAL" &&
              reply.status_code != "FAULT") {
            std::lock_guard lock(results_mutex);
            refused.insert(message.message_id + " " + reply.status_code);
            break;
          }
          ++retries;
          std::this_thread::sleep_for(30ms);
        }
      }
    });

  // --- chaos: SIGKILL the gateway or a consumer, then restart it -------------------------
  std::mt19937 random(20261122);
  int gateway_kills = 0;
  std::vector<int> consumer_kills(consumers.size(), 0);
  std::thread killer([&] {
    int round = 0;
    const auto enough = [&] {
      if (gateway_kills < 5) return false;
      for (const int kills : consumer_kills)
        if (kills < 5) return false;
      return true;
    };
    while (loading || !enough()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(400, 1400)(random)));
      test::ChildProcess* victim = round++ % 2 == 0 ? &gateway : consumers[static_cast<std::size_t>(round / 2) % consumers.size()].get();
      victim->stop(SIGKILL);
      if (victim == &gateway) ++gateway_kills;
      else ++consumer_kills[static_cast<std::size_t>(round / 2) % consumers.size()];
      std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(50, 400)(random)));
      victim->start();
      if (std::chrono::steady_clock::now() - started > 150s) break;
    }
  });
  for (auto& client : clients) client.join();
  loading = false;
  killer.join();
  const double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // --- settle: every consumer catches up with everything accepted ----------------------
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  bool caught_up = false;
  while (!caught_up && std::chrono::steady_clock::now() < deadline) {
    caught_up = true;
    for (const auto& name : consumer_names)
      if (scalar(dir / (name + ".db"), "SELECT COUNT(*) FROM messages") < accepted.size()) caught_up = false;
    if (!caught_up) std::this_thread::sleep_for(200ms);
  }
  gateway.stop(SIGTERM);
  for (auto& consumer : consumers) consumer->stop(SIGTERM);

  // --- verdict ---------------------------------------------------------------------------
  const auto journal = var / "journal.db";
  const auto journaled = sequences_in(journal, "SELECT sequence FROM journal");
  const auto refused_journaled = scalar(journal, "SELECT COUNT(*) FROM journal WHERE message_id LIKE 'bad-%'");
  bool ok = refused_journaled == 0 && journaled == accepted;
  std::printf("crash test: %d messages posted by 6 clients in %.1f s (%d retries after no answer or 503)\n", messages,
              load_seconds, retries.load());
  std::printf("  gateway SIGKILLed %d times; consumers SIGKILLed", gateway_kills);
  for (std::size_t i = 0; i < consumers.size(); ++i) std::printf(" %s %d", consumer_names[i].c_str(), consumer_kills[i]);
  std::printf(" times\n  accepted (SCSS001): %zu, refused: %zu, journaled: %zu, refused in journal: %llu\n",
              accepted.size(), refused.size(), journaled.size(), static_cast<unsigned long long>(refused_journaled));
  for (const auto& name : consumer_names) {
    const auto stored = sequences_in(dir / (name + ".db"), "SELECT sequence FROM messages");
    std::size_t missing = 0, extra = 0;
    for (const auto sequence : accepted) missing += stored.count(sequence) == 0;
    for (const auto sequence : stored) extra += accepted.count(sequence) == 0;
    const auto rows = scalar(dir / (name + ".db"), "SELECT COUNT(*) FROM messages");
    std::printf("  %-13s stored %llu (distinct %zu), missing %zu, not accepted %zu\n", name.c_str(),
                static_cast<unsigned long long>(rows), stored.size(), missing, extra);
    ok = ok && missing == 0 && extra == 0 && rows == stored.size();
  }
  for (const auto& refusal : refused)
    if (refusal.rfind("bad-", 0) != 0 || refusal.find("SIGNATURE_INVALID") == std::string::npos) {
      std::printf("  unexpected refusal: %s\n", refusal.c_str());
      ok = false;
    }
  const bool enough_kills = gateway_kills >= 5 && consumer_kills[0] >= 5 && consumer_kills[1] >= 5;
  ok = ok && enough_kills && static_cast<int>(accepted.size() + refused.size()) == messages;
  std::printf("%s\n", ok ? "PASS: every accepted message is in every consumer's store exactly once" : "FAIL");
  if (!ok) std::cout << "gateway log tail:\n" << test::read_text(dir / "gateway.log").substr(0, 4000) << '\n';
  return ok ? 0 : 1;
} catch (const std::exception& error) {
  std::cerr << "crash_test: " << error.what() << '\n';
  return 2;
}
