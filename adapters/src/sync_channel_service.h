#pragma once
// The generated SyncChannel service bound to the pipeline: one instance serves one
// connection at a time on one worker thread.
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

  // Serves the requests of one accepted connection (keep-alive included), then closes it.
  void serve_connection(SOAP_SOCKET socket, const char* peer_host);

  // Serves one request given as bytes (HTTP request or bare envelope) and returns what
  // would have been written to the socket: the same parser and hooks, without a socket.
  // For the fuzz target and for replaying captured traffic.
  std::string serve_bytes(std::string_view request);

 private:
  MessageHandler& handler_;
  ServerConfig config_;
  RequestBodyBound body_bound_;
};

// Applies limits, timeouts, UTF-8 handling, ?wsdl and the fault hook to a gSOAP context.
void configure_server_context(soap* ctx, const ServerConfig& config);

}  // namespace stagegate::adapters
