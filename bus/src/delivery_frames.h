#pragma once
// Parsing and validation of the frames consumers send (wire.h), apart from sockets: every
// field bounded, numbers strict, names and destinations from a small alphabet.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stagegate/core/result.h"

namespace stagegate::bus {

struct HelloRequest {
  std::string name;  // empty: observer
  std::string topics_text;
  std::vector<std::string> topics;
  std::size_t window = 1;
  std::uint64_t processed = 0;
};

// A decimal number without sign, spaces or overflow.
std::optional<std::uint64_t> parse_sequence(std::string_view text);
// [A-Za-z0-9._-]{1,64}
bool valid_name(std::string_view name);

// The fields after "HELLO": name, destinations, window, processed. MALFORMED with the reason
// when a field is out of bounds: a name or destination outside the alphabet or too long,
// too many destinations, a window that is not a positive number, a position beyond
// `last_sequence`. A window above `max_window` is cut to it.
Result<HelloRequest> parse_hello(std::string_view name, std::string_view destinations, std::string_view window,
                                 std::string_view processed, std::size_t max_window, std::uint64_t last_sequence);

}  // namespace stagegate::bus
