#pragma once
// The generated SyncChannel service bound to the pipeline: one instance serves one
// connection at a time on one worker thread.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "request_body_bound.h"
#include "request_data_locator.h"
#include "response_template.h"
#include "send_message_reader.h"
#include "soapISyncChannelHttpBindingService.h"
#include "stagegate/adapters/soap_server.h"
#include "stagegate/core/message.h"

namespace stagegate::adapters {

class SyncChannelService final : public ISyncChannelHttpBindingService {
 public:
  SyncChannelService(MessageHandler& handler, const ServerConfig& config);

  ISyncChannelHttpBindingService* copy() override;
  int SendMessage(sc__SendMessage* request, sc__SendMessageResponse& response) override;

  // Serves one request given as bytes and returns what is to be written to the client. The
  // bytes must be one request framed by HttpRequestReader (the connection reactor's check):
  // gSOAP's own header parsing is not safe on unframed input (a negative Content-Length makes
  // it allocate a negative size). The workers, the fuzz target and replays all frame first.
  // client_certificate: the TLS client certificate the request came with, if any.
  std::string serve_bytes(std::string_view request, const std::optional<ClientCertificate>& client_certificate = std::nullopt);

  // What a SendMessage's response repeats from its request.
  struct ReplyTo {
    std::string message_id;
    std::optional<std::string> correlation_id;
    std::optional<std::string> session_id;
    short soap_version = 1;
    // The namespace URIs the request used where the table accepts several (SOAP 1.1 or 1.2,
    // XML Schema years), each ended by a NUL, in table order: the response declares the same.
    std::string namespace_uris;
  };
  // receive()'s result: the whole response, or a well-formed SendMessage whose message is to be
  // handled (handle_async) and answered by complete() once its outcome is known.
  struct Served {
    std::string response;
    std::optional<InboundMessage> message;
    ReplyTo reply_to;
  };
  // serve_bytes() up to the handler: the gSOAP context is free again when this returns, so a
  // worker serves other requests while the message waits for the journal.
  Served receive(std::string_view request, const std::optional<ClientCertificate>& client_certificate = std::nullopt);
  // The whole HTTP response to a deferred SendMessage (200 with the receipt, or the fault).
  std::string complete(const ReplyTo& reply_to, const Result<Receipt>& outcome);

  // How receive() reads a plain POST's envelope: the plain-shape reader first, gSOAP for what
  // it declines (the default); or gSOAP only, which the differential tests and the fuzz target
  // compare it with.
  enum class EnvelopeReading { plain_shape_first, gsoap_only };
  void set_envelope_reading(EnvelopeReading reading) { envelope_reading_ = reading; }
  // Messages received without gSOAP so far (a regression to gSOAP for every message shows here).
  std::uint64_t envelopes_read_plain() const { return envelopes_read_plain_; }

  // A whole HTTP response carrying the refusal as a contract fault, with this HTTP status
  // (413 for an oversized request).
  std::string refusal_response(const Refusal& refusal, int http_status);

 private:
  // receive() without gSOAP when send_message_reader takes the body and the message is
  // accepted; nothing when gSOAP is to read it (and answer whatever it refuses).
  std::optional<Served> receive_plain(std::string_view body, const RequestDataSpan& data,
                                      const std::optional<ClientCertificate>& client_certificate);
  // The head and the envelope gSOAP wrote to memory, after the request's context is freed;
  // `when_empty` as a fault when gSOAP wrote no envelope.
  std::string finish_in_memory(std::string& envelope, const Refusal& when_empty);
  void fill_response(sc__SendMessageResponse& response, const ReplyTo& reply_to, const ResponseValues& values);
  // complete() through the generated serializer: the fault for `refusal`, else the receipt's `values`.
  std::string complete_with_gsoap(const ReplyTo& reply_to, const std::optional<Refusal>& refusal, const ResponseValues& values);
  // The captured response of reply_to's shape (SOAP version, optional elements), captured on first use.
  const ResponseTemplate* response_template(const ReplyTo& reply_to);

  // Compressed bodies (Content-Encoding): gSOAP reads the whole HTTP request itself.
  std::string serve_http(std::string_view request, const std::optional<ClientCertificate>& client_certificate);

  MessageHandler& handler_;
  ServerConfig config_;
  EnvelopeReading envelope_reading_ = EnvelopeReading::plain_shape_first;
  // The reader assumes the generated namespace table and limits no envelope it takes can reach.
  bool plain_reader_applies_ = false;
  std::uint64_t envelopes_read_plain_ = 0;
  RequestBodyBound body_bound_;
  std::optional<ClientCertificate> client_certificate_;
  // requestData/data's content, taken from the body when the locator found it (gSOAP then
  // parsed the envelope with that element emptied).
  std::optional<std::string_view> request_data_;
  // receive(): SendMessage keeps the message here instead of handling it.
  bool deferring_ = false;
  std::optional<Served> deferred_;
  struct CapturedTemplate {
    bool tried = false;
    std::optional<ResponseTemplate> captured;
  };
  // By shape: SOAP version, optional elements and the namespace URIs (a client sends the same
  // ones every time; a bounded number of shapes are kept).
  std::map<std::string, CapturedTemplate> response_templates_;
};

// Applies limits, timeouts, UTF-8 handling, ?wsdl and the fault hook to a gSOAP context.
void configure_server_context(soap* ctx, const ServerConfig& config);

}  // namespace stagegate::adapters
