#include "stagegate/core/log_field.h"

#include <cstdint>

namespace stagegate {
namespace {

void append_hex_byte(std::string& out, unsigned char byte) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[byte >> 4];
  out += kHex[byte & 0xF];
}

// Length of the valid UTF-8 sequence at `text` (2-4), or 0 when it is not one.
std::size_t utf8_sequence(std::string_view text, std::uint32_t& code_point) {
  const auto lead = static_cast<unsigned char>(text[0]);
  std::size_t length = 0;
  if (lead >= 0xC2 && lead <= 0xDF) length = 2, code_point = lead & 0x1F;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, code_point = lead & 0x0F;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, code_point = lead & 0x07;
  else return 0;
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[i]);
    if ((next & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (next & 0x3F);
  }
  const bool overlong = (length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000);
  const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
  if (overlong || surrogate || code_point > 0x10FFFF) return 0;
  return length;
}

}  // namespace

std::string log_field(std::string_view value, std::size_t max_bytes) {
  const std::size_t omitted = value.size() > max_bytes ? value.size() - max_bytes : 0;
  value = value.substr(0, value.size() - omitted);
  std::string out;
  out.reserve(value.size() + 2);
  out += '"';
  for (std::size_t i = 0; i < value.size();) {
    const auto byte = static_cast<unsigned char>(value[i]);
    if (byte < 0x80) {
      switch (byte) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (byte < 0x20 || byte == 0x7F) append_hex_byte(out, byte);
          else out += static_cast<char>(byte);
      }
      ++i;
      continue;
    }
    std::uint32_t code_point = 0;
    const auto length = utf8_sequence(value.substr(i), code_point);
    const bool printable = length > 0 && !(code_point >= 0x80 && code_point <= 0x9F) && code_point != 0x2028 &&
                           code_point != 0x2029;
    if (printable) {
      out.append(value.substr(i, length));
      i += length;
    } else {
      append_hex_byte(out, byte);  // one byte at a time: a cut multi-byte sequence stays visible
      ++i;
    }
  }
  if (omitted) out += "...(+" + std::to_string(omitted) + " bytes)";
  out += '"';
  return out;
}

}  // namespace stagegate
