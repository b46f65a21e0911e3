#include "stagegate/knowledge_base/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace stagegate::knowledge_base {

RateLimiter::RateLimiter(int per_minute) : capacity_(per_minute), per_second_(per_minute / 60.0) {
  if (per_minute < 1) throw std::invalid_argument("the rate limit must be at least 1 request a minute");
}

std::optional<int> RateLimiter::take(const std::string& who, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto [bucket, created] = buckets_.try_emplace(who, Bucket{capacity_, now});
  auto& state = bucket->second;
  if (!created) {
    const std::chrono::duration<double> elapsed = now - state.updated;
    state.tokens = std::min(capacity_, state.tokens + std::max(0.0, elapsed.count()) * per_second_);
    state.updated = now;
  }
  if (state.tokens >= 1.0) {
    state.tokens -= 1.0;
    return std::nullopt;
  }
  return std::max(1, static_cast<int>(std::ceil((1.0 - state.tokens) / per_second_)));
}

}  // namespace stagegate::knowledge_base
