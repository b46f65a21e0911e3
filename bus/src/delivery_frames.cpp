#include "delivery_frames.h"

#include <algorithm>
#include <charconv>

#include "stagegate/bus/wire.h"

namespace stagegate::bus {

std::optional<std::uint64_t> parse_sequence(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > limits::kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  });
}

Result<HelloRequest> parse_hello(std::string_view name, std::string_view destinations, std::string_view window,
                                 std::string_view processed, std::size_t max_window, std::uint64_t last_sequence) {
  HelloRequest hello;
  if (!name.empty() && !valid_name(name))
    return refuse(Code::Malformed, "consumer name must be 1 to 64 of [A-Za-z0-9._-]");
  hello.name = std::string(name);
  if (destinations.size() > limits::kMaxDestinations * (limits::kMaxNameLength + 1))
    return refuse(Code::Malformed, "destinations list too long");
  for (std::string_view rest = destinations; !rest.empty();) {
    const auto comma = rest.find(',');
    const auto destination = rest.substr(0, comma);
    if (!valid_name(destination)) return refuse(Code::Malformed, "destination must be 1 to 64 of [A-Za-z0-9._-]");
    if (std::find(hello.topics.begin(), hello.topics.end(), destination) == hello.topics.end())
      hello.topics.emplace_back(destination);
    if (hello.topics.size() > limits::kMaxDestinations) return refuse(Code::Malformed, "more than 32 destinations");
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
    if (rest.empty()) return refuse(Code::Malformed, "empty destination");
  }
  hello.topics_text = std::string(destinations);
  const auto credit = parse_sequence(window);
  if (!credit || *credit == 0) return refuse(Code::Malformed, "window must be a positive number");
  hello.window = static_cast<std::size_t>(std::min<std::uint64_t>(*credit, max_window));
  const auto position = parse_sequence(processed);
  if (!position) return refuse(Code::Malformed, "processed position must be a number");
  if (*position > last_sequence)
    return refuse(Code::Malformed, "processed position " + std::to_string(*position) + " is beyond the journal's last sequence " +
                                       std::to_string(last_sequence));
  hello.processed = *position;
  return hello;
}

}  // namespace stagegate::bus
