#pragma once
// Whether the delivery state's database takes writes, for the delivery thread: after a
// failure, writes are skipped until a retry is due (backoff 200 ms doubling to 5 s), so a
// locked or broken database does not stall delivery on every request; the last error is
// readable from any thread (for /health) until a write succeeds again.
#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>

#include "protocol_log.h"

namespace stagegate::bus {

class StorageHealth {
 public:
  using Clock = std::chrono::steady_clock;
  explicit StorageHealth(ProtocolLog& log) : log_(log) {}

  bool failing() const { return failing_; }
  // A write may be tried now: all is well, or the next retry is due.
  bool may_write(Clock::time_point now) const { return !failing_ || now >= next_retry_; }

  void failed(const std::string& what, const std::string& error, Clock::time_point now) {
    const auto text = what + ": " + error;
    backoff_ = failing_ ? std::min(backoff_ * 2, kMaxBackoff) : kFirstBackoff;
    next_retry_ = now + backoff_;
    failing_ = true;
    {
      std::lock_guard lock(mutex_);
      if (error_ == text) return;
      error_ = text;
    }
    log_.write("storage error while " + escape_field(text, 300) + "; retrying with backoff", now);
  }

  void succeeded(Clock::time_point now) {
    if (!failing_) return;
    failing_ = false;
    backoff_ = kFirstBackoff;
    {
      std::lock_guard lock(mutex_);
      error_.clear();
    }
    log_.write("storage works again", now);
  }

  std::string error() const {
    std::lock_guard lock(mutex_);
    return error_;
  }

 private:
  static constexpr std::chrono::milliseconds kFirstBackoff{200};
  static constexpr std::chrono::milliseconds kMaxBackoff{5000};
  ProtocolLog& log_;
  bool failing_ = false;
  std::chrono::milliseconds backoff_{kFirstBackoff};
  Clock::time_point next_retry_{};
  mutable std::mutex mutex_;
  std::string error_;
};

}  // namespace stagegate::bus
