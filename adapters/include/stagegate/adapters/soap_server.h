#pragma once
// The bus SyncChannel endpoint (CONTRACT.md section 1): HTTP or HTTPS, SOAP 1.1, GET /?wsdl.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "stagegate/adapters/tls.h"
#include "stagegate/core/message.h"

namespace stagegate::adapters {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 picks a free port; see SoapServer::port()
  int workers = 4;
  std::size_t max_request_bytes = 2 * 1024 * 1024;  // larger bodies are refused MALFORMED
  int max_xml_depth = 64;
  int io_timeout_seconds = 30;
  std::optional<ServerTls> tls;  // HTTPS when set
};

class SoapServer {
 public:
  // Binds at construction; throws std::runtime_error when the address cannot be bound.
  SoapServer(MessageHandler& handler, ServerConfig config);
  ~SoapServer();  // stops and joins
  SoapServer(const SoapServer&) = delete;
  SoapServer& operator=(const SoapServer&) = delete;

  int port() const;
  // Serves on background threads until stop() or destruction.
  void start();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::adapters
