#pragma once
// A provider-side SyncChannel client: wraps a signed business document in the bus envelope
// and posts it. Used by `stagegate send` and by the integration tests.
#include <cstdint>
#include <optional>
#include <string>

#include "stagegate/adapters/tls.h"

namespace stagegate::adapters {

struct OutboundMessage {
  std::string message_id;  // generated (UUID v4) when empty
  std::string correlation_id;
  std::string service_id = "STAGE_NOTIFICATION";
  std::string sender_id;
  std::string password;
  std::string document;  // signed business document; an XML declaration is dropped
};

struct SendReply {
  bool transport_ok = false;  // false: no SOAP answer at all (connection refused, timeout)
  std::string status_code;    // SCSS001, or the fault's errorCode (e.g. SIGNATURE_INVALID)
  std::string message;        // status message, or the fault's errorMessage
  std::string message_id;
  std::optional<std::uint64_t> sequence;  // from the receipt, when accepted
  std::string received_at;
  bool duplicate = false;
  int http_status = 0;
  std::string response_data;  // the raw responseData/data XML
};

// An https:// URL uses `tls` (or the system CA store when absent). A TLS configuration
// that cannot be loaded is a std::runtime_error; everything after is in the reply.
SendReply send_message(const std::string& url, const OutboundMessage& message, int timeout_seconds = 30,
                       const std::optional<ClientTls>& tls = std::nullopt);

std::string make_message_id();

}  // namespace stagegate::adapters
