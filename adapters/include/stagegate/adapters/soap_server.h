#pragma once
// The bus SyncChannel endpoint (CONTRACT.md section 1): HTTP or HTTPS, SOAP 1.1, GET /?wsdl.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stagegate/adapters/tls.h"
#include "stagegate/core/health.h"
#include "stagegate/core/message.h"

namespace stagegate::adapters {

// Requests are read by one event loop (epoll) and only complete ones reach the `workers`,
// so slow or hostile clients hold sockets, never workers. A worker does not wait for the
// journal: the message is handed on (MessageHandler::handle_async) and the response written
// when its commit completes, so a few workers keep any number of requests in flight (one per
// connection) and each commit's fsync covers many messages.
struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 picks a free port; see SoapServer::port()
  // Threads that parse, verify and answer requests: CPU work, so about one per core; 0 is
  // one per core (at least two).
  int workers = 0;
  // Larger bodies (declared or streamed) are refused with HTTP 413 and a MALFORMED fault.
  std::size_t max_request_bytes = 2 * 1024 * 1024;
  int max_xml_depth = 64;
  int io_timeout_seconds = 30;  // deadline for writing one whole response to a client that reads slowly
  std::optional<ServerTls> tls;  // HTTPS when set
  // Deadline for a whole request (TLS handshake, head and body) from its first byte
  // (a new connection: from accept); a connection that misses it is closed.
  int request_timeout_seconds = 10;
  int keep_alive_timeout_seconds = 5;  // an idle keep-alive connection is closed after this
  // Open connections at most; past it a new connection is answered 503 (TLS: closed) at once.
  int max_connections = 1024;
  // soap:address in the WSDL at ?wsdl; empty: the address each request came to (its Host
  // header, https with TLS), or the listening address when the Host header is missing or unusable.
  std::string public_url = {};
  // GET /health: 200 "ok" when healthy (or unset), else 503 with one problem per line.
  std::function<HealthReport()> health = {};
};

// Constructing a server sets SIGPIPE to ignored for the process: OpenSSL writes with
// write(), and one peer closing its socket must never end the gateway.
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
  // Stops taking requests, answers those in flight (waiting up to io_timeout for their
  // commits), then joins.
  void stop();

  // Runs tasks on the workers (the journal's completions: one hand-off per commit). Tasks
  // that arrive after stop() are dropped, their connections closed.
  void run_on_workers(std::vector<std::function<void()>> tasks);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::adapters
