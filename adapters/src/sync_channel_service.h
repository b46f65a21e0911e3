#pragma once
// The generated SyncChannel service bound to the pipeline: one instance serves one
// connection at a time on one worker thread.
#include <optional>
#include <string>
#include <string_view>

#include "request_body_bound.h"
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

  // A whole HTTP response carrying the refusal as a contract fault, with this HTTP status
  // (413 for an oversized request).
  std::string refusal_response(const Refusal& refusal, int http_status);

 private:
  // Compressed bodies (Content-Encoding): gSOAP reads the whole HTTP request itself.
  std::string serve_http(std::string_view request, const std::optional<ClientCertificate>& client_certificate);

  MessageHandler& handler_;
  ServerConfig config_;
  RequestBodyBound body_bound_;
  std::optional<ClientCertificate> client_certificate_;
  // requestData/data's content, taken from the body when the locator found it (gSOAP then
  // parsed the envelope with that element emptied).
  std::optional<std::string_view> request_data_;
};

// Applies limits, timeouts, UTF-8 handling, ?wsdl and the fault hook to a gSOAP context.
void configure_server_context(soap* ctx, const ServerConfig& config);

}  // namespace stagegate::adapters
