#pragma once
// The delivery thread's log of refused and malformed frames and of storage trouble. Every
// field a peer sent is escaped (one line stays one line), and lines are rate-limited, so
// a flood of bad frames costs a few lines, not the disk.
#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>
#include <string_view>

namespace stagegate::bus {

// Printable ASCII stays; quotes, backslashes, control and non-ASCII bytes become \xNN;
// cut at `limit` bytes (marked with "...").
std::string escape_field(std::string_view text, std::size_t limit = 80);
// A ZeroMQ routing id (binary) as hex.
std::string peer_id(std::string_view identity);

class ProtocolLog {
 public:
  using Clock = std::chrono::steady_clock;
  // At most `lines_per_window` lines per `window`; the rest are counted and summarized.
  explicit ProtocolLog(std::ostream& out, std::size_t lines_per_window = 20,
                       std::chrono::milliseconds window = std::chrono::seconds(10));
  // `what` is the already escaped text after the "stagegate bus: " prefix.
  void write(const std::string& what, Clock::time_point now = Clock::now());
  // Writes the count of suppressed lines once their window is over (also when nothing
  // else is written).
  void tick(Clock::time_point now = Clock::now());
  std::size_t suppressed_total() const { return suppressed_total_; }

 private:
  std::ostream& out_;
  std::size_t lines_per_window_;
  std::chrono::milliseconds window_;
  Clock::time_point window_start_{};
  std::size_t written_in_window_ = 0;
  std::size_t suppressed_in_window_ = 0;
  std::size_t suppressed_total_ = 0;
};

}  // namespace stagegate::bus
