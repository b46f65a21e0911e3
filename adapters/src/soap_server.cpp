#include "stagegate/adapters/soap_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <csignal>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <cstring>
#include <unistd.h>

#include "sync_channel_service.h"
#include "tls_context.h"

namespace stagegate::adapters {
namespace {

struct Connection {
  SOAP_SOCKET socket;
  std::string peer;
};

int bound_port(SOAP_SOCKET master) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(master, reinterpret_cast<sockaddr*>(&address), &length) != 0) return -1;
  if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  return -1;
}

}  // namespace

struct SoapServer::Impl {
  MessageHandler& handler;
  ServerConfig config;
  SslContext tls;  // null for plain HTTP
  SyncChannelService acceptor;
  int port = 0;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<Connection> pending;
  std::vector<std::thread> threads;

  Impl(MessageHandler& h, ServerConfig c)
      : handler(h), config(std::move(c)), tls(config.tls ? make_server_context(*config.tls) : nullptr), acceptor(h, config) {
    // Belt and braces beside MSG_NOSIGNAL: OpenSSL writes with write(), and no peer may end
    // the process by hanging up, whatever path writes to its socket.
    std::signal(SIGPIPE, SIG_IGN);
    acceptor.soap->bind_flags = SO_REUSEADDR;
    acceptor.soap->accept_timeout = -200000;  // 200 ms (negative: microseconds): how often accept looks at `stopping`
    if (!soap_valid_socket(acceptor.bind(config.host.c_str(), config.port, 128)))
      throw std::runtime_error("cannot listen on " + config.host + ":" + std::to_string(config.port) + ": " +
                               (acceptor.soap->errnum ? std::strerror(acceptor.soap->errnum) : "bind failed"));
    port = bound_port(acceptor.soap->master);
  }

  void accept_loop() {
    while (!stopping.load()) {
      const SOAP_SOCKET socket = acceptor.accept();
      if (!soap_valid_socket(socket)) continue;  // timeout or transient error
      {
        std::lock_guard lock(mutex);
        pending.push_back(Connection{socket, acceptor.soap->host});
      }
      ready.notify_one();
      acceptor.soap->socket = SOAP_INVALID_SOCKET;  // the worker owns it now
    }
  }

  void worker_loop() {
    SyncChannelService service(handler, config);
    if (tls) share_context(service.soap, tls.get());
    for (;;) {
      Connection connection;
      {
        std::unique_lock lock(mutex);
        ready.wait(lock, [&] { return stopping.load() || !pending.empty(); });
        if (pending.empty()) return;
        connection = std::move(pending.front());
        pending.pop_front();
      }
      service.serve_connection(connection.socket, connection.peer.c_str());
    }
  }
};

SoapServer::SoapServer(MessageHandler& handler, ServerConfig config)
    : impl_(std::make_unique<Impl>(handler, std::move(config))) {}

SoapServer::~SoapServer() { stop(); }

int SoapServer::port() const { return impl_->port; }

void SoapServer::start() {
  if (!impl_->threads.empty()) return;
  impl_->threads.emplace_back([this] { impl_->accept_loop(); });
  for (int i = 0; i < std::max(1, impl_->config.workers); ++i)
    impl_->threads.emplace_back([this] { impl_->worker_loop(); });
}

void SoapServer::stop() {
  if (impl_->stopping.exchange(true)) return;
  impl_->ready.notify_all();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
  for (auto& connection : impl_->pending) ::close(connection.socket);
  impl_->pending.clear();
}

}  // namespace stagegate::adapters
