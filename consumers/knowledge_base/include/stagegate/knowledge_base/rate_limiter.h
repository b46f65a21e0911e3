#pragma once
// Per-operator token buckets: `per_minute` requests a minute on average, bursts up to the same.
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace stagegate::knowledge_base {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RateLimiter(int per_minute);

  // Nothing when `who` may go on (one token taken); otherwise the seconds until a token is back.
  std::optional<int> take(const std::string& who, Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point updated;
  };
  double capacity_;
  double per_second_;
  std::mutex mutex_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace stagegate::knowledge_base
