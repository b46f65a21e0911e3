// Durable appends per second to the journal (SQLite WAL, synchronous=FULL, group commit)
// at 1, 8 and 64 concurrent writers, in one run; each append returns only when on disk.
// usage: bench_journal [appends per writer count=4000] [writers=1,8,64]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "stagegate/bus/journal.h"
#include "support/temp_dir.h"

using namespace stagegate;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const int appends = argc > 1 ? std::atoi(argv[1]) : 4000;
  std::vector<int> writer_counts{1, 8, 64};
  if (argc > 2) {
    writer_counts.clear();
    std::stringstream list(argv[2]);
    for (std::string item; std::getline(list, item, ',');) writer_counts.push_back(std::stoi(item));
  }
  const std::string payload(900, 'p');    // a normalized stage notification is about this size
  const std::string document(3400, 'd');  // and the signed document about this
  test::TempDir dir("stagegate-bench-journal");
  std::printf("journal: %d durable appends per row (%zu-byte payload + %zu-byte document), SQLite WAL, "
              "synchronous=FULL, %u cores, %s\n",
              appends, payload.size(), document.size(), std::thread::hardware_concurrency(), dir.path().c_str());
  std::printf("%8s %14s %14s %12s\n", "writers", "appends/s", "us/append", "failures");
  double single = 0;
  for (const int writers : writer_counts) {
    auto journal = bus::Journal::open(dir / ("journal-" + std::to_string(writers) + ".db"));
    std::atomic<int> next{0};
    std::atomic<int> failures{0};
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w)
      threads.emplace_back([&] {
        for (int i; (i = next.fetch_add(1)) < appends;)
          if (!journal.append(bus::JournalInput{"akimat", "m-" + std::to_string(i), "STAGE_NOTIFICATION", "stage", payload, document, {{"monitoring", payload}}}))
            failures.fetch_add(1);
      });
    for (auto& thread : threads) thread.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const double rate = appends / seconds;
    if (single == 0) single = rate;
    std::printf("%8d %14.0f %14.1f %12d   (x%.1f of 1 writer)\n", writers, rate, 1e6 / rate, failures.load(), rate / single);
  }
  return 0;
}
