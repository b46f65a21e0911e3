#pragma once
// What the SOAP adapter hands to the pipeline, and what the pipeline answers.
#include <cstdint>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "stagegate/core/result.h"

namespace stagegate {

// The bus envelope's requestInfo plus the business document, as received.
// Every field is untrusted.
// The client certificate a TLS peer presented and the server verified against its client CA.
struct ClientCertificate {
  std::string subject;             // RFC 2253
  std::string fingerprint_sha256;  // lowercase hex of the SHA-256 of the DER certificate
};

struct InboundMessage {
  std::string message_id;
  std::string correlation_id;
  std::string service_id;
  std::string message_date;
  std::string sender_id;
  std::string password;
  std::string document;  // the business document's bytes (the single child of requestData/data)
  // When the gateway had the whole request: the normalized message's receivedAt, and the
  // moment a provider's times may not lie beyond.
  std::chrono::system_clock::time_point received_at = std::chrono::system_clock::now();
  // Set when the request came over TLS with a verified client certificate.
  std::optional<ClientCertificate> client_certificate;
};

// CONTRACT.md section 5: the SCSS001 receipt.
struct Receipt {
  std::uint64_t sequence = 0;
  std::string received_at;  // xsd:dateTime, UTC
  bool duplicate = false;
};

// Receives the outcome of handle_async exactly once, on whichever thread finished the work.
// It must not block: that thread may be the journal's committer.
using Completion = std::function<void(Result<Receipt>)>;

// The pipeline as the adapter sees it. Implementations are thread-safe.
class MessageHandler {
 public:
  virtual ~MessageHandler() = default;
  virtual Result<Receipt> handle(const InboundMessage& message) = 0;
  // The same outcome without holding the calling thread while the message waits for the
  // journal's group commit: the server's few workers go on with other requests meanwhile.
  // The default handles here and completes before returning.
  virtual void handle_async(InboundMessage message, Completion done) { done(handle(message)); }
};

}  // namespace stagegate
