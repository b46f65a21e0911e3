#pragma once
// Receiving a SendMessage through gSOAP (soap_begin_serve and the generated dispatch) costs
// about 170 K instructions, most of it two context resets that clear 48 KB of hash tables.
// Providers send one plain shape of envelope; this reader reads that shape by itself and
// declines everything else, which gSOAP then reads as before (so its faults and refusals
// stay what they were). What it accepts it reads exactly as gSOAP would: the differential
// tests (test_send_message_reader.cpp) and the fuzz target compare the two.
//
// Accepted: an optional XML declaration (UTF-8), a SOAP 1.1 or 1.2 Envelope, an optional
// empty Header, the Body, sc:SendMessage and its unqualified children in schema order
// (messageId, correlationId?, serviceId, messageDate, sender(senderId, password?),
// sessionId?; requestData(data)), whitespace between elements, xmlns declarations of the
// generated namespace table's URIs (no encoding URI in a 1.2 envelope) or of URIs no table
// pattern can match; text of UTF-8, the five predefined entities and numeric character
// references of XML characters.
// Declined: anything else (other attributes, comments, CDATA, PIs, DOCTYPE, header
// entries, routeId, properties, unknown or repeated elements, empty messageId/serviceId...).
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "request_data_locator.h"

namespace stagegate::adapters {

// What SendMessage() takes from the request's requestInfo, however the envelope was read.
struct SendMessageFields {
  std::string message_id;
  std::optional<std::string> correlation_id;
  std::string service_id;
  std::string message_date;
  std::string sender_id;
  std::optional<std::string> password;
  std::optional<std::string> session_id;
};

struct PlainSendMessage {
  SendMessageFields fields;
  short soap_version = 1;  // what gSOAP leaves in soap->version
  // What the service's namespace_uris_read() returns after gSOAP read the same envelope:
  // the `out` URI of each table entry (empty when none), each ended by a NUL.
  std::string_view namespace_uris;
};

// The generated namespace table (ISyncChannelHttpBinding.nsmap) the reader assumes: the
// service uses the reader only when its context's table is this one.
struct AssumedNamespace {
  std::string_view id;
  std::string_view ns;
  std::string_view in;  // gSOAP's pattern for other URIs it accepts for the entry ("" when none)
};
inline constexpr std::array<AssumedNamespace, 6> kAssumedNamespaceTable{{
    {"SOAP-ENV", "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/*/soap-envelope"},
    {"SOAP-ENC", "http://schemas.xmlsoap.org/soap/encoding/", "http://www.w3.org/*/soap-encoding"},
    {"xsi", "http://www.w3.org/2001/XMLSchema-instance", "http://www.w3.org/*/XMLSchema-instance"},
    {"xsd", "http://www.w3.org/2001/XMLSchema", "http://www.w3.org/*/XMLSchema"},
    {"sci", "http://bip.bee.kz/SyncChannel/v10/Interfaces", ""},
    {"sc", "http://bip.bee.kz/SyncChannel/v10/Types", ""},
}};

// The SendMessage in `body` when it has the plain shape, with requestData/data's content at
// `data` (as locate_request_data found it; the reader does not look inside); else nothing.
std::optional<PlainSendMessage> read_plain_send_message(std::string_view body, const RequestDataSpan& data);

}  // namespace stagegate::adapters
