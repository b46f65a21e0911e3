// The gateway's per-message log lines go to stderr in batches: in order, within the delay,
// all of them at a stop, and a reader that stops reading costs lines, never the gateway.
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "batched_lines.h"

using namespace stagegate::app;
using namespace std::chrono_literals;

namespace {

struct Pipe {
  int read_end = -1;
  int write_end = -1;
  Pipe() {
    int ends[2];
    BOOST_REQUIRE(::pipe2(ends, O_CLOEXEC) == 0);
    read_end = ends[0];
    write_end = ends[1];
  }
  ~Pipe() {
    ::close(read_end);
    ::close(write_end);
  }
  // What arrives within `patience` after the first byte, or nothing.
  std::string read_for(std::chrono::milliseconds patience) const {
    std::string text;
    const auto until = std::chrono::steady_clock::now() + patience;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return text;
      pollfd ready{read_end, POLLIN, 0};
      if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) return text;
      char buffer[65536];
      const auto got = ::read(read_end, buffer, sizeof buffer);
      if (got <= 0) return text;
      text.append(buffer, static_cast<std::size_t>(got));
    }
  }
};

std::string numbered(int n) { return "line " + std::to_string(n) + "\n"; }

std::string numbered_lines(int count) {
  std::string all;
  for (int n = 0; n < count; ++n) all += numbered(n);
  return all;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(batched_lines)

BOOST_AUTO_TEST_CASE(lines_arrive_in_order_within_the_delay) {
  Pipe pipe;
  BatchedLines lines(pipe.write_end, BatchedLines::Options{});
  for (int n = 0; n < 100; ++n) lines.add(numbered(n));
  const auto started = std::chrono::steady_clock::now();
  std::string arrived;
  while (arrived.size() < numbered_lines(100).size() && std::chrono::steady_clock::now() - started < 5s)
    arrived += pipe.read_for(100ms);
  BOOST_TEST(arrived == numbered_lines(100));
  // A lone line later is not held for a batch that never fills.
  lines.add("alone\n");
  BOOST_TEST(pipe.read_for(500ms) == "alone\n");
}

BOOST_AUTO_TEST_CASE(a_stop_writes_every_line_waiting) {
  Pipe pipe;
  {
    BatchedLines lines(pipe.write_end, BatchedLines::Options{10s, 1 << 20, 1 << 22});
    for (int n = 0; n < 2000; ++n) lines.add(numbered(n));
  }  // long before the 10 s delay
  BOOST_TEST(pipe.read_for(200ms) == numbered_lines(2000));
}

BOOST_AUTO_TEST_CASE(a_reader_that_stops_reading_costs_lines_not_the_writer) {
  Pipe pipe;
  auto lines = std::make_unique<BatchedLines>(pipe.write_end, BatchedLines::Options{1ms, 4096, 256 * 1024});
  // Nobody reads: the pipe (64 KB) fills, the writer thread blocks in write(), and what is
  // added meanwhile waits up to 256 KB, then is dropped; add() itself never waits.
  const std::string line(100, 'x');
  const auto started = std::chrono::steady_clock::now();
  for (int n = 0; n < 10000; ++n) lines->add(line + "\n");
  BOOST_TEST((std::chrono::steady_clock::now() - started < 2s));
  BOOST_TEST(lines->dropped() > 0u);
  const auto dropped = lines->dropped();
  // The reader comes back: everything kept arrives, and a line that says how much was lost.
  std::string arrived;
  std::thread reader([&] { arrived = pipe.read_for(3s); });
  lines.reset();
  reader.join();
  const auto kept = 10000 - dropped;
  // Said once or in parts (a batch that left while lines were being dropped tells what it knew).
  std::uint64_t told = 0;
  const std::string marker = "stagegate: ";
  for (std::size_t at = arrived.find(marker); at != std::string::npos; at = arrived.find(marker, at + 1)) {
    const auto end = arrived.find(" log line(s) dropped", at);
    if (end != std::string::npos) told += std::stoull(arrived.substr(at + marker.size(), end - at - marker.size()));
  }
  BOOST_TEST(told == dropped);
  std::size_t count = 0;
  for (std::size_t at = arrived.find(line); at != std::string::npos; at = arrived.find(line, at + line.size())) ++count;
  BOOST_TEST(count == kept);
}

BOOST_AUTO_TEST_SUITE_END()
