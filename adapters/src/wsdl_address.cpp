#include <algorithm>
#include <cctype>
#include <string>

#include "stagegate/adapters/wsdl.h"
#include "stagegate/core/markup_escape.h"

namespace stagegate::adapters {
namespace {

bool is_port(std::string_view digits) {
  if (digits.empty() || digits.size() > 5) return false;
  if (!std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) return false;
  return std::stoi(std::string(digits)) <= 65535;
}

// RFC 3986 reg-name restricted to DNS letters (which covers IPv4 too), or an IP literal in brackets.
bool is_host(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    return std::all_of(host.begin() + 1, host.end() - 1,
                       [](unsigned char c) { return std::isxdigit(c) || c == ':' || c == '.'; });
  }
  return std::all_of(host.begin(), host.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.'; });
}

}  // namespace

std::string sync_channel_wsdl(std::string_view address) {
  std::string text(sync_channel_wsdl());
  static constexpr std::string_view kAttribute = "<soap:address location=\"";
  const auto start = text.find(kAttribute);
  if (start == std::string::npos) return text;
  const auto value = start + kAttribute.size();
  const auto end = text.find('"', value);
  if (end == std::string::npos) return text;
  text.replace(value, end - value, markup_escaped(address));
  return text;
}

std::optional<std::string> address_from_host(std::string_view host_header, bool tls) {
  while (!host_header.empty() && (host_header.front() == ' ' || host_header.front() == '\t')) host_header.remove_prefix(1);
  while (!host_header.empty() && (host_header.back() == ' ' || host_header.back() == '\t')) host_header.remove_suffix(1);
  std::string_view host = host_header;
  std::string_view port;
  const auto bracket = host_header.rfind(']');
  const auto colon = host_header.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = host_header.substr(0, colon);
    port = host_header.substr(colon + 1);
    if (!is_port(port)) return std::nullopt;
  }
  if (!is_host(host)) return std::nullopt;
  return std::string(tls ? "https://" : "http://") + std::string(host_header) + "/";
}

std::optional<std::string> public_url_problem(std::string_view url) {
  const bool http = url.starts_with("http://");
  const bool https = url.starts_with("https://");
  if (!http && !https) return "the public URL must start with http:// or https://";
  const auto rest = url.substr(http ? 7 : 8);
  const auto authority = rest.substr(0, rest.find('/'));
  if (authority.empty()) return "the public URL has no host";
  for (const unsigned char c : url)
    if (c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' || c == 0x7f) return "the public URL has a space, quote or angle bracket";
  return std::nullopt;
}

}  // namespace stagegate::adapters
