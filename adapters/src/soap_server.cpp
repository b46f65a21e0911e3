#include "stagegate/adapters/soap_server.h"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "connection_reactor.h"
#include "sync_channel_service.h"
#include "stagegate/adapters/wsdl.h"
#include "tls_context.h"

namespace stagegate::adapters {
namespace {

// One peer closing its socket before the reply must never end the gateway: every send of
// ours uses MSG_NOSIGNAL, but OpenSSL writes with write(), so SIGPIPE is ignored for the
// whole process (a write to a closed socket then fails with EPIPE, which we handle).
void ignore_sigpipe() {
  static const bool ignoring = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)ignoring;
}

// Each open connection is a descriptor: let the connection cap, not the default soft
// limit of 1024 descriptors, be what bounds them.
void raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

ReactorConfig reactor_config(const ServerConfig& config, SSL_CTX* tls) {
  ReactorConfig reactor;
  reactor.host = config.host;
  reactor.port = config.port;
  reactor.max_connections = std::max(1, config.max_connections);
  reactor.request_timeout = std::chrono::seconds(std::max(1, config.request_timeout_seconds));
  reactor.keep_alive_timeout = std::chrono::seconds(std::max(1, config.keep_alive_timeout_seconds));
  reactor.limits.max_body_bytes = config.max_request_bytes;
  reactor.tls = tls;
  return reactor;
}

// "Keep-Alive: timeout" tells clients when an idle connection will be closed, so a client
// can stop reusing it before then instead of racing the close with its next request.
std::string connection_header(const ServerConfig& config, bool keep_alive) {
  if (!keep_alive) return "Connection: close";
  return "Connection: keep-alive\r\nKeep-Alive: timeout=" + std::to_string(std::max(1, config.keep_alive_timeout_seconds));
}

std::string health_response(const ServerConfig& config, bool keep_alive) {
  const HealthReport report = config.health ? config.health() : HealthReport{};
  std::string body;
  if (report.healthy) body = "ok\n";
  for (const auto& problem : report.problems) {
    std::string line = problem;
    std::replace(line.begin(), line.end(), '\n', ' ');  // one problem, one line
    body += line + "\n";
  }
  if (!report.healthy && report.problems.empty()) body = "unhealthy\n";
  return std::string(report.healthy ? "HTTP/1.1 200 OK\r\n" : "HTTP/1.1 503 Service Unavailable\r\n") +
         "Content-Type: text/plain; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + connection_header(config, keep_alive) + "\r\n\r\n" + body;
}

// gSOAP serves one request from memory and so always writes "Connection: close". When the
// client asked for keep-alive and the response frames itself (Content-Length), the
// connection can stay: say so in the response and return it to the reactor.
bool offer_keep_alive(std::string& response, const ServerConfig& config) {
  const auto head_end = response.find("\r\n\r\n");
  if (head_end == std::string::npos) return false;
  std::string head = response.substr(0, head_end);
  std::transform(head.begin(), head.end(), head.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (head.find("\r\ncontent-length:") == std::string::npos) return false;
  static constexpr std::string_view kClose = "\r\nconnection: close";
  const auto close = head.find(kClose);
  if (close != std::string::npos) response.replace(close, kClose.size(), "\r\n" + connection_header(config, true));
  return true;
}

bool is_health(std::string_view method, std::string_view target) {
  return method == "GET" && (target == "/health" || target.starts_with("/health?"));
}

bool is_wsdl(std::string_view method, std::string_view target) {
  return method == "GET" && (target.ends_with("?wsdl") || target.ends_with("?WSDL"));
}

// soap:address: the configured public URL, else where this request came to, else where we listen.
std::string wsdl_response(const ServerConfig& config, int port, std::string_view request, bool keep_alive) {
  std::string address = config.public_url;
  if (address.empty()) {
    const auto framed = split_framed(request);
    const auto host = framed ? header_value(framed->head, "Host") : std::nullopt;
    if (const auto from_host = host ? address_from_host(*host, config.tls.has_value()) : std::nullopt) {
      address = *from_host;
    } else {
      const bool ipv6 = config.host.find(':') != std::string::npos;
      address = std::string(config.tls ? "https://" : "http://") + (ipv6 ? "[" + config.host + "]" : config.host) + ":" +
                std::to_string(port) + "/";
    }
  }
  const std::string body = sync_channel_wsdl(address);
  return "HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + connection_header(config, keep_alive) + "\r\n\r\n" + body;
}

}  // namespace

struct SoapServer::Impl {
  MessageHandler& handler;
  ServerConfig config;
  SslContext tls;  // null for plain HTTP
  SyncChannelService refuser;  // reactor thread only: composes 413 refusals
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::unique_ptr<Connection>> pending;  // at most one per open connection: bounded by the cap
  bool stopping = false;
  ConnectionReactor reactor;
  std::vector<std::thread> threads;

  Impl(MessageHandler& h, ServerConfig c)
      : handler(h),
        config(std::move(c)),
        tls(config.tls ? make_server_context(*config.tls) : nullptr),
        refuser(h, config),
        reactor(reactor_config(config, tls.get()), [this](std::unique_ptr<Connection> connection) { enqueue(std::move(connection)); },
                [this](const std::string& reason) { return refuser.refusal_response(refuse(Code::Malformed, reason), 413); }) {}

  void enqueue(std::unique_ptr<Connection> connection) {
    {
      std::lock_guard lock(mutex);
      pending.push_back(std::move(connection));
    }
    ready.notify_one();
  }

  void worker_loop() {
    SyncChannelService service(handler, config);
    for (;;) {
      std::unique_ptr<Connection> connection;
      {
        std::unique_lock lock(mutex);
        ready.wait(lock, [&] { return stopping || !pending.empty(); });
        if (stopping) return;
        connection = std::move(pending.front());
        pending.pop_front();
      }
      respond(service, std::move(connection));
    }
  }

  void respond(SyncChannelService& service, std::unique_ptr<Connection> connection) {
    auto& reader = connection->reader();
    bool keep_alive = reader.keep_alive();
    std::string response;
    if (is_health(reader.method(), reader.target())) {
      response = health_response(config, keep_alive);
    } else if (is_wsdl(reader.method(), reader.target())) {
      response = wsdl_response(config, reactor.port(), reader.request(), keep_alive);
    } else {
      response = service.serve_bytes(reader.request(), connection->client_certificate());
      keep_alive = keep_alive && offer_keep_alive(response, config);
    }
    const auto deadline = Clock::now() + std::chrono::seconds(std::max(1, config.io_timeout_seconds));
    if (connection->write_all(response, deadline) && keep_alive) reactor.resume(std::move(connection));
  }
};

SoapServer::SoapServer(MessageHandler& handler, ServerConfig config) {
  ignore_sigpipe();
  raise_descriptor_limit();
  impl_ = std::make_unique<Impl>(handler, std::move(config));
}

SoapServer::~SoapServer() { stop(); }

int SoapServer::port() const { return impl_->reactor.port(); }

void SoapServer::start() {
  if (!impl_->threads.empty()) return;
  impl_->threads.emplace_back([this] { impl_->reactor.run(); });
  for (int i = 0; i < std::max(1, impl_->config.workers); ++i)
    impl_->threads.emplace_back([this] { impl_->worker_loop(); });
}

void SoapServer::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
  }
  impl_->reactor.stop();
  impl_->ready.notify_all();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
  impl_->pending.clear();
}

}  // namespace stagegate::adapters
