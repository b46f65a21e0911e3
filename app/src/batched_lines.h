#pragma once
// Lines for a file descriptor (the gateway's stderr), written in batches by a thread of their
// own: one write(2) for the lines of a few milliseconds instead of one per message on the
// thread that answers it (about 5 us of a message's CPU with the log on ext4).
//
// A line reaches the descriptor within `delay` of being added, at once when `batch_bytes`
// are waiting, and all of them when the writer is destroyed (a clean stop loses none; a
// crash loses at most the last `delay`). A reader that stops reading (a stuck pipe) never
// stops the gateway: past `most_waiting` bytes, lines are dropped and counted, and the next
// batch says how many.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace stagegate::app {

class BatchedLines {
 public:
  struct Options {
    std::chrono::milliseconds delay{2};
    std::size_t batch_bytes = 64 * 1024;
    std::size_t most_waiting = 8 * 1024 * 1024;
  };
  BatchedLines(int fd, Options options);
  ~BatchedLines();
  BatchedLines(const BatchedLines&) = delete;
  BatchedLines& operator=(const BatchedLines&) = delete;

  // `line` ends with its newline.
  void add(std::string_view line);
  // Lines dropped so far because the reader fell behind by most_waiting bytes.
  std::uint64_t dropped() const;

 private:
  void run();
  void write_all(const std::string& bytes);

  const int fd_;
  const Options options_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::string waiting_;
  std::uint64_t dropped_ = 0;
  std::uint64_t dropped_untold_ = 0;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace stagegate::app
