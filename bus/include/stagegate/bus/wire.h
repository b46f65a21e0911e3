#pragma once
// ZeroMQ frames of one delivered message: [topic][sequence as decimal text][payload].
// A welcome frame set [stagegate.welcome] tells a subscriber that its subscription is live.
#include <cstdint>
#include <string>
#include <string_view>

namespace stagegate::bus {

inline constexpr std::string_view kWelcomeTopic = "stagegate.welcome";

struct BusMessage {
  std::string topic;
  std::uint64_t sequence = 0;
  std::string payload;
};

}  // namespace stagegate::bus
