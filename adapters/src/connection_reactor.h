#pragma once
// One thread reads every connection with epoll on non-blocking sockets (TLS handshakes
// included) and hands only COMPLETE requests to the worker pool. A slow or silent client
// then costs a socket and a buffer, never a worker, and every connection has a whole-request
// deadline. A worker owns a connection exclusively from a complete request until its response
// is written, then gives it back (keep-alive) or closes it; what the socket does not take at
// once the reactor writes as the client reads, so a client that never reads holds no thread.
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http_request_reader.h"
#include "stagegate/core/message.h"

namespace stagegate::adapters {

using Clock = std::chrono::steady_clock;

struct FreeSsl {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslHandle = std::unique_ptr<SSL, FreeSsl>;

class Connection {
 public:
  enum class Phase { handshake, reading, idle, writing, draining };

  Connection(int fd, SslHandle ssl, HttpRequestLimits limits, std::atomic<int>& open_count);
  ~Connection();  // closes the socket (TLS: a best-effort close_notify)
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const { return fd_; }
  SSL* ssl() const { return ssl_.get(); }
  HttpRequestReader& reader() { return reader_; }
  const std::optional<ClientCertificate>& client_certificate() const { return client_certificate_; }
  void set_client_certificate(std::optional<ClientCertificate> certificate) { client_certificate_ = std::move(certificate); }

  // Writes what the socket takes now (MSG_NOSIGNAL, or SSL_write), never waiting: the bytes
  // written, or nothing when the peer is gone or the connection failed.
  std::optional<std::size_t> write_some(std::string_view bytes);

  // The rest of a response the socket did not take, and what follows it being written.
  std::string unsent;
  bool close_after_unsent = false;

  Phase phase = Phase::reading;
  Clock::time_point deadline;
  unsigned watched = 0;  // the epoll events the reactor waits for (armed once at a time)
  bool armed_on_resume = false;  // resume() armed it already: the reactor only takes it back

 private:
  int fd_;
  SslHandle ssl_;
  HttpRequestReader reader_;
  std::optional<ClientCertificate> client_certificate_;
  std::atomic<int>& open_count_;
};

struct ReactorConfig {
  std::string host;
  int port = 0;
  int backlog = 128;  // the kernel's accept queue; we accept as fast as it fills
  int max_connections = 1024;
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds keep_alive_timeout{5'000};
  std::chrono::milliseconds write_timeout{30'000};  // to write a response the client reads slowly
  HttpRequestLimits limits;
  SSL_CTX* tls = nullptr;  // not owned; null for plain HTTP
};

class ConnectionReactor {
 public:
  // Called on the reactor thread with a connection whose reader is complete(); must not block.
  using RequestSink = std::function<void(std::unique_ptr<Connection>)>;
  // The whole HTTP response refusing a request whose head or body is over the limits.
  using TooLargeResponse = std::function<std::string(const std::string& reason)>;

  // Binds and listens; throws std::runtime_error when the address cannot be bound.
  ConnectionReactor(ReactorConfig config, RequestSink sink, TooLargeResponse too_large);
  ~ConnectionReactor();
  ConnectionReactor(const ConnectionReactor&) = delete;
  ConnectionReactor& operator=(const ConnectionReactor&) = delete;

  int port() const { return port_; }
  int open_connections() const { return open_count_.load(); }

  void run();   // serves until stop()
  void stop();  // any thread
  // From a worker after a response: the connection writes what is left of it (`unsent`),
  // then waits for its next request, or closes (`close_after_unsent`). A plain connection
  // with its response written and nothing more buffered is armed for its next request here,
  // without waking the reactor, which takes it back at its next event or sweep.
  void resume(std::unique_ptr<Connection> connection);

 private:
  void accept_all();
  void on_event(int fd, unsigned events);
  void handle_event(int fd, Connection& connection, unsigned events);
  void handshake(Connection& connection);
  void read_request(Connection& connection);
  void after_read(int fd, Connection& connection);
  void refuse(Connection& connection, std::string_view response);
  void drain(Connection& connection);
  void write_unsent(int fd, Connection& connection);
  void await_next_request(int fd, Connection& connection);
  void watch(int fd, unsigned events, bool add);
  // A connection's socket, armed for one event (EPOLLONESHOT); sets rearmed_.
  void watch(Connection& connection, unsigned events);
  void close_connection(int fd);
  void take_resumed();
  void sweep_deadlines();

  ReactorConfig config_;
  RequestSink sink_;
  TooLargeResponse too_large_;
  int listener_ = -1;
  int epoll_ = -1;
  int wakeup_ = -1;  // eventfd: stop() and resume()
  int port_ = 0;
  bool listener_paused_ = false;  // out of descriptors: resumed by the next sweep
  bool rearmed_ = false;          // the event being handled armed its connection again
  std::atomic<bool> stopping_{false};
  std::atomic<int> open_count_{0};
  std::unordered_map<int, std::unique_ptr<Connection>> connections_;
  std::mutex resumed_mutex_;
  std::vector<std::unique_ptr<Connection>> resumed_;
  bool wakeup_pending_ = false;  // under resumed_mutex_: written to wakeup_, not yet taken
};

}  // namespace stagegate::adapters
