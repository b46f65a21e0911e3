#pragma once
// Log lines are key=value text read by people and by log shippers. Values that come from
// the network (senderId, messageId, a reason naming an attacker's Algorithm URI) must never
// start a new line, forge a key=value pair or drive a terminal, so every logged value goes
// through here.
#include <cstddef>
#include <string>
#include <string_view>

namespace stagegate {

// The value in double quotes with backslash, quote and every control character escaped
// (\n, \r, \t, \xNN; C1 controls, U+2028/U+2029 and invalid UTF-8 bytes as \xNN), cut at
// `max_bytes` of input with a marker saying how much was left out.
std::string log_field(std::string_view value, std::size_t max_bytes = 256);

}  // namespace stagegate
