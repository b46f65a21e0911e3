#include "protocol_log.h"

#include "stagegate/core/clock.h"

namespace stagegate::bus {

std::string escape_field(std::string_view text, std::size_t limit) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string escaped;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == limit) {
      escaped += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
      escaped += static_cast<char>(byte);
    } else {
      escaped += "\\x";
      escaped += kHex[byte >> 4];
      escaped += kHex[byte & 0xf];
    }
  }
  return escaped;
}

std::string peer_id(std::string_view identity) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (const char c : identity.substr(0, 32)) {
    const auto byte = static_cast<unsigned char>(c);
    hex += kHex[byte >> 4];
    hex += kHex[byte & 0xf];
  }
  return hex;
}

ProtocolLog::ProtocolLog(std::ostream& out, std::size_t lines_per_window, std::chrono::milliseconds window)
    : out_(out), lines_per_window_(lines_per_window), window_(window) {}

void ProtocolLog::tick(Clock::time_point now) {
  if (now - window_start_ < window_) return;
  if (suppressed_in_window_ > 0) {
    out_ << now_utc() << " stagegate bus: " << suppressed_in_window_ << " more protocol lines suppressed\n";
    out_.flush();
  }
  window_start_ = now;
  written_in_window_ = 0;
  suppressed_in_window_ = 0;
}

void ProtocolLog::write(const std::string& what, Clock::time_point now) {
  tick(now);
  if (written_in_window_ >= lines_per_window_) {
    ++suppressed_in_window_;
    ++suppressed_total_;
    return;
  }
  ++written_in_window_;
  out_ << now_utc() << " stagegate bus: " << what << '\n';
  out_.flush();
}

}  // namespace stagegate::bus
