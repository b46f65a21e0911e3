#include "business_document.h"

#include <charconv>
#include <cstdint>

namespace stagegate::adapters {
namespace {

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

void append_utf8(std::string& out, std::uint32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point);
  } else if (code_point < 0x800) {
    out += static_cast<char>(0xC0 | (code_point >> 6));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    out += static_cast<char>(0xE0 | (code_point >> 12));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code_point >> 18));
    out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code_point & 0x3F));
  }
}

Result<std::string> unescape_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const auto end = text.find(';', i);
    if (end == std::string_view::npos || end - i > 12)
      return refuse(Code::Malformed, "requestData/data: bad character reference");
    const auto entity = text.substr(i + 1, end - i - 1);
    if (entity == "lt") out += '<';
    else if (entity == "gt") out += '>';
    else if (entity == "amp") out += '&';
    else if (entity == "quot") out += '"';
    else if (entity == "apos") out += '\'';
    else if (entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x' || entity[1] == 'X';
      const auto digits = entity.substr(hex ? 2 : 1);
      std::uint32_t code_point = 0;
      const auto [ptr, ec] =
          std::from_chars(digits.data(), digits.data() + digits.size(), code_point, hex ? 16 : 10);
      if (ec != std::errc{} || ptr != digits.data() + digits.size() || code_point == 0 ||
          code_point > 0x10FFFF)
        return refuse(Code::Malformed, "requestData/data: bad character reference");
      append_utf8(out, code_point);
    } else {
      return refuse(Code::Malformed, "requestData/data: unknown entity");
    }
    i = end;
  }
  return out;
}

}  // namespace

Result<std::string> extract_business_document(std::string_view data_literal) {
  const auto content = trim(data_literal);
  if (content.empty()) return refuse(Code::Malformed, "requestData/data: empty, expected the business document");
  if (content.front() == '<') return std::string(content);
  auto unescaped = unescape_text(content);
  if (!unescaped) return unescaped;
  const auto document = trim(unescaped.value());
  if (document.empty() || document.front() != '<')
    return refuse(Code::Malformed, "requestData/data: neither an element nor escaped XML text");
  return std::string(document);
}

}  // namespace stagegate::adapters
