// Routing cost per message, in one run: (a) normalizing the verified sample into JSON alone,
// (b) the same plus the built-in routing rules (three destinations, two of them reduced),
// and the delivery read of a destination's next page against whole messages from journals
// of growing size, which must stay flat (one range scan of (destination, sequence)).
// usage: bench_routing [iterations=20000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "stagegate/bus/journal.h"
#include "stagegate/routing/normalize.h"
#include "stagegate/routing/rules.h"
#include "support/files.h"
#include "support/temp_dir.h"

using namespace stagegate;
using Clock = std::chrono::steady_clock;

namespace {

double micros_since(Clock::time_point start, int count) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count() / count;
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 20000;
  const auto document = test::read_text(std::string(STAGEGATE_SAMPLES) + "/stage.xml");
  const auto rules = routing::RoutingRules::defaults();
  std::size_t sink = 0;

  auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) sink += routing::to_json(routing::normalize_stage(document).value()).size();
  const double normalize_us = micros_since(start, iterations);

  start = Clock::now();
  for (int i = 0; i < iterations; ++i) {
    const auto event = routing::normalize_stage(document).value();
    const auto routed = rules.route(routing::RoutingKey{"STAGE_NOTIFICATION", event.service_code, event.stage, event.provider_bin},
                                    routing::to_json(event));
    sink += routed.size();
  }
  const double routed_us = micros_since(start, iterations);

  // What the gateway does: the reduced copies written from the value, not parsed back.
  start = Clock::now();
  for (int i = 0; i < iterations; ++i) {
    const auto event = routing::normalize_stage(document).value();
    const auto routed = rules.route(routing::RoutingKey{"STAGE_NOTIFICATION", event.service_code, event.stage, event.provider_bin},
                                    routing::to_json(event),
                                    [&event](const routing::FieldFilter& keep) { return routing::to_json(event, keep); });
    sink += routed.size();
  }
  const double written_us = micros_since(start, iterations);

  std::printf("routing: the %zu-byte sample stage notification, %d iterations, 1 thread\n", document.size(), iterations);
  std::printf("%-52s %10s %10s\n", "variant", "us/msg", "msgs/s");
  std::printf("%-52s %10.1f %10.0f\n", "(a) normalize + JSON", normalize_us, 1e6 / normalize_us);
  std::printf("%-52s %10.1f %10.0f\n", "(b) normalize + JSON + built-in rules (3 destinations)", routed_us, 1e6 / routed_us);
  std::printf("%-52s %10.1f %10.0f\n", "(c) as (b), copies written from the value", written_us, 1e6 / written_us);
  std::printf("routing adds %.1f us per message (%.0f%% of (a)) parsing the JSON back, %.1f us (%.0f%%) writing from the value\n\n",
              routed_us - normalize_us, 100.0 * (routed_us - normalize_us) / normalize_us, written_us - normalize_us,
              100.0 * (written_us - normalize_us) / normalize_us);

  const auto event = routing::normalize_stage(document).value();
  const auto whole = routing::to_json(event);
  const auto routed = rules.route(routing::RoutingKey{"STAGE_NOTIFICATION", event.service_code, event.stage, event.provider_bin}, whole);
  test::TempDir dir("stagegate-bench-routing");
  auto journal = bus::Journal::open(dir / "journal.db");
  std::printf("delivery read: a page of 64 after the middle of the journal, 200 reads each\n");
  std::printf("%12s %22s %26s\n", "journaled", "whole us/page", "knowledge_base us/page");
  std::uint64_t appended = 0;
  for (const std::uint64_t size : {10000u, 50000u, 100000u}) {
    for (; appended < size; ++appended) {
      bus::JournalInput input{"akimat", "m" + std::to_string(appended), "STAGE_NOTIFICATION", "stage", whole, "", {}};
      for (const auto& route : routed) input.routes.push_back({route.destination, route.payload});
      if (!journal.append(input)) return 1;
    }
    const auto measure = [&](const std::vector<std::string>& destinations) {
      const auto begin = Clock::now();
      for (int i = 0; i < 200; ++i) sink += journal.read_after(size / 2, 64, destinations).size();
      return micros_since(begin, 200);
    };
    std::printf("%12llu %22.1f %26.1f\n", static_cast<unsigned long long>(size), measure({}), measure({"knowledge_base"}));
  }
  return sink == 0 ? 1 : 0;
}
