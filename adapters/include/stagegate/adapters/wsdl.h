#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace stagegate::adapters {

// wsdl/SyncChannel.wsdl as compiled into the binary, with the placeholder address it was written with.
std::string_view sync_channel_wsdl();

// The WSDL with soap:address set to `address` (XML-escaped), so a client generated from it
// posts where the gateway really is.
std::string sync_channel_wsdl(std::string_view address);

// The address a request came to, from its Host header: "http[s]://HOST[:PORT]/", or nullopt when
// the header is absent or not a plain host name, IPv4 or bracketed IPv6 literal with an optional
// port (so a hostile Host can never shape the WSDL beyond a host name).
std::optional<std::string> address_from_host(std::string_view host_header, bool tls);

// Nullopt for an absolute http:// or https:// URL with a host and no whitespace, quotes or
// angle brackets; else why not (for --public-url at startup).
std::optional<std::string> public_url_problem(std::string_view url);

}  // namespace stagegate::adapters
