#include "batched_lines.h"

#include <unistd.h>

#include <cerrno>

#include "stagegate/core/thread_name.h"

namespace stagegate::app {

BatchedLines::BatchedLines(int fd, Options options) : fd_(fd), options_(options) {
  waiting_.reserve(options_.batch_bytes);
  writer_ = std::thread([this] {
    name_this_thread("sg-log");
    run();
  });
}

BatchedLines::~BatchedLines() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_one();
  writer_.join();
}

void BatchedLines::add(std::string_view line) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (waiting_.size() + line.size() > options_.most_waiting) {
      ++dropped_;
      ++dropped_untold_;
      return;
    }
    // The writer sleeps until the first line of a batch, and then once more until the batch
    // is due or full.
    wake = waiting_.empty() || (waiting_.size() < options_.batch_bytes && waiting_.size() + line.size() >= options_.batch_bytes);
    waiting_.append(line);
  }
  if (wake) ready_.notify_one();
}

std::uint64_t BatchedLines::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void BatchedLines::run() {
  std::string batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    ready_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
    if (!stopping_)
      ready_.wait_for(lock, options_.delay, [this] { return stopping_ || waiting_.size() >= options_.batch_bytes; });
    batch.swap(waiting_);
    waiting_.clear();
    std::uint64_t untold = 0;
    std::swap(untold, dropped_untold_);
    const bool last = stopping_;
    lock.unlock();
    if (untold > 0)
      batch += "stagegate: " + std::to_string(untold) + " log line(s) dropped: the log's reader fell behind\n";
    write_all(batch);
    batch.clear();
    lock.lock();
    if (last && waiting_.empty()) return;
  }
}

void BatchedLines::write_all(const std::string& bytes) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const auto result = ::write(fd_, bytes.data() + written, bytes.size() - written);
    if (result < 0 && errno == EINTR) continue;
    if (result <= 0) return;  // nowhere to write (closed stderr): the lines are gone, the gateway goes on
    written += static_cast<std::size_t>(result);
  }
}

}  // namespace stagegate::app
