// The delivery half of a gateway as its own process, for tests that SIGKILL it or measure
// its memory: opens the journal, binds the dispatcher, optionally appends messages at a
// steady pace (as providers' requests would), prints "ready" once bound, runs until killed.
//   bus_gateway_child JOURNAL ENDPOINT INITIAL_MESSAGES APPEND_EVERY_MS(0: none)
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <string>
#include <thread>

#include "stagegate/bus/dispatcher.h"
#include "stagegate/bus/journal.h"

using namespace stagegate;

namespace {
volatile std::sig_atomic_t stop_requested = 0;
void request_stop(int) { stop_requested = 1; }
}  // namespace

int main(int argc, char** argv) try {
  if (argc != 5) {
    std::cerr << "usage: bus_gateway_child JOURNAL ENDPOINT INITIAL_MESSAGES APPEND_EVERY_MS\n";
    return 2;
  }
  std::signal(SIGTERM, request_stop);
  auto journal = bus::Journal::open(argv[1]);
  const auto initial = std::stoul(argv[3]);
  const auto every = std::chrono::milliseconds(std::stol(argv[4]));
  const auto tag = std::to_string(::getpid()) + "-" +
                   std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
  std::uint64_t appended = 0;
  const auto append = [&] {
    const auto id = "m-" + tag + "-" + std::to_string(++appended);
    const auto payload = "{\"id\":\"" + id + "\"}";
    return journal.append(bus::JournalInput{"akimat", id, "S", "stage", payload, "<d/>", {{"stage", payload}}}).ok();
  };
  while (journal.last_sequence() < initial) append();
  bus::Dispatcher dispatcher(journal, argv[2]);
  journal.on_commit([&](std::uint64_t) { dispatcher.notify(); });
  std::cout << "ready " << dispatcher.endpoint() << std::endl;
  while (!stop_requested) {
    if (every.count() > 0) {
      append();
      std::this_thread::sleep_for(every);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  journal.on_commit(nullptr);
  return 0;
} catch (const std::exception& error) {
  std::cerr << "bus_gateway_child: " << error.what() << '\n';
  return 1;
}
