#pragma once
// SyncChannelService reads a plain SendMessage envelope itself (send_message_reader) and
// leaves the rest to gSOAP: what receive() gives must be the same either way. Used by the
// differential unit test and the envelope fuzz target.
#include <cctype>
#include <optional>
#include <string>
#include <string_view>

#include "sync_channel_service.h"

namespace stagegate::test {

// `text` with each xsd:dateTime of UTC (the responses' dates: now) as TIME, so that two
// responses written at different moments compare.
inline std::string with_times_masked(std::string_view text) {
  const auto digits = [&](std::size_t at, std::size_t count) {
    if (at + count > text.size()) return false;
    for (std::size_t i = 0; i < count; ++i)
      if (!std::isdigit(static_cast<unsigned char>(text[at + i]))) return false;
    return true;
  };
  const auto is = [&](std::size_t at, char c) { return at < text.size() && text[at] == c; };
  std::string masked;
  masked.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    // dddd-dd-ddTdd:dd:dd(.d+)?Z
    if (digits(i, 4) && is(i + 4, '-') && digits(i + 5, 2) && is(i + 7, '-') && digits(i + 8, 2) && is(i + 10, 'T') &&
        digits(i + 11, 2) && is(i + 13, ':') && digits(i + 14, 2) && is(i + 16, ':') && digits(i + 17, 2)) {
      std::size_t end = i + 19;
      if (is(end, '.') && digits(end + 1, 1)) {
        ++end;
        while (digits(end, 1)) ++end;
      }
      if (is(end, 'Z')) {
        masked += "TIME";
        i = end + 1;
        continue;
      }
    }
    masked += text[i++];
  }
  return masked;
}

inline std::string printable(const std::optional<std::string>& value) { return value ? "\"" + *value + "\"" : "(none)"; }

// Empty when receive() through gSOAP alone (`gsoap`) and receive() reading plain envelopes
// itself (`plain`) gave the same; else what differs.
inline std::string received_difference(const adapters::SyncChannelService::Served& gsoap,
                                       const adapters::SyncChannelService::Served& plain) {
  if (gsoap.message.has_value() != plain.message.has_value())
    return std::string("a message from ") + (gsoap.message ? "gSOAP only" : "the plain reader only") + "; gSOAP's response: " +
           gsoap.response + "; the other: " + plain.response;
  if (!gsoap.message) {
    if (with_times_masked(gsoap.response) != with_times_masked(plain.response))
      return "responses differ:\n" + gsoap.response + "\n---\n" + plain.response;
    return {};
  }
  std::string difference;
  const auto compare = [&](std::string_view field, const std::string& expected, const std::string& actual) {
    if (expected != actual) difference += std::string(field) + ": \"" + expected + "\" != \"" + actual + "\"\n";
  };
  const auto& a = *gsoap.message;
  const auto& b = *plain.message;
  compare("message_id", a.message_id, b.message_id);
  compare("correlation_id", a.correlation_id, b.correlation_id);
  compare("service_id", a.service_id, b.service_id);
  compare("message_date", a.message_date, b.message_date);
  compare("sender_id", a.sender_id, b.sender_id);
  compare("password", a.password, b.password);
  compare("document", a.document, b.document);
  if (a.client_certificate.has_value() != b.client_certificate.has_value()) difference += "client_certificate\n";
  const auto& x = gsoap.reply_to;
  const auto& y = plain.reply_to;
  compare("reply_to.message_id", x.message_id, y.message_id);
  compare("reply_to.correlation_id", printable(x.correlation_id), printable(y.correlation_id));
  compare("reply_to.session_id", printable(x.session_id), printable(y.session_id));
  compare("reply_to.soap_version", std::to_string(x.soap_version), std::to_string(y.soap_version));
  compare("reply_to.namespace_uris", x.namespace_uris, y.namespace_uris);
  return difference;
}

}  // namespace stagegate::test
