// Accepted messages per second through the whole gateway: HTTP + gSOAP, sender auth,
// xmlsec verification, normalization, durable SQLite append, ZeroMQ delivery.
// usage: bench_end_to_end [messages=2000] [clients=1,4,8]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>
#include <vector>

#include "integration/gateway_fixture.h"

using namespace stagegate;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<int> parse_list(const char* text) {
  std::vector<int> values;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) values.push_back(std::stoi(item));
  return values;
}

struct Run {
  int clients;
  int accepted;
  int delivered;
  double seconds;
  double p50_ms;
  double p99_ms;
};

Run run_once(int messages, int clients) {
  test::GatewayFixture gateway;
  const auto document = gateway.sign(test::sample_stage());
  std::atomic<int> next{0};
  std::atomic<int> accepted{0};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(clients));
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      for (int i; (i = next.fetch_add(1)) < messages;) {
        const auto sent = Clock::now();
        const auto reply = gateway.post(document, "STAGE_NOTIFICATION", test::kPassword, "bench-" + std::to_string(i));
        latencies[static_cast<std::size_t>(c)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
        if (reply.status_code == "SCSS001") accepted.fetch_add(1);
      }
    });
  for (auto& thread : threads) thread.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  int delivered = 0;
  while (gateway.subscriber.receive(std::chrono::milliseconds(500))) ++delivered;
  std::vector<double> all;
  for (const auto& per_client : latencies) all.insert(all.end(), per_client.begin(), per_client.end());
  std::sort(all.begin(), all.end());
  const auto at = [&](double q) { return all.empty() ? 0.0 : all[static_cast<std::size_t>(q * static_cast<double>(all.size() - 1))]; };
  return Run{clients, accepted.load(), delivered, seconds, at(0.50), at(0.99)};
}

}  // namespace

int main(int argc, char** argv) {
  const int messages = argc > 1 ? std::atoi(argv[1]) : 2000;
  const auto client_counts = parse_list(argc > 2 ? argv[2] : "1,4,8");
  std::printf("end-to-end: %d signed %zu-byte stage notifications per run, %u cores\n", messages,
              test::GatewayFixture{}.sign(test::sample_stage()).size(), std::thread::hardware_concurrency());
  std::printf("%8s %10s %10s %10s %12s %10s %10s\n", "clients", "accepted", "delivered", "seconds", "msgs/s", "p50 ms", "p99 ms");
  for (const int clients : client_counts) {
    const auto run = run_once(messages, clients);
    std::printf("%8d %10d %10d %10.2f %12.0f %10.2f %10.2f\n", run.clients, run.accepted, run.delivered, run.seconds,
                run.accepted / run.seconds, run.p50_ms, run.p99_ms);
  }
  return 0;
}
