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
#include "stagegate/core/thread_name.h"

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
  reactor.write_timeout = std::chrono::seconds(std::max(1, config.io_timeout_seconds));
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

// What the workers take: a connection with a complete request, or a task to run with the
// worker's own gSOAP service (a response whose commit completed).
struct WorkerTask {
  std::unique_ptr<Connection> connection;
  std::function<void(SyncChannelService&)> run;
};

// The worker queue, shared with completions that may arrive after the server stopped (a
// commit the shutdown did not wait for): they find it closed and drop their connection.
struct WorkQueue {
  std::mutex mutex;
  std::condition_variable ready;
  std::condition_variable settled;  // in_flight fell to zero
  // Answers go before new requests: an answer frees a connection for its client's next
  // request, where a new request only adds to the work in flight.
  std::deque<WorkerTask> answers;
  std::deque<WorkerTask> requests;  // at most one per open connection
  bool closed = false;              // workers stop; posts are dropped
  int in_flight = 0;                // messages handed on whose response is not written yet

  bool post(WorkerTask task) {
    std::vector<WorkerTask> one;
    one.push_back(std::move(task));
    return post_all(std::move(one));
  }

  bool post_all(std::vector<WorkerTask> posted) {
    {
      std::lock_guard lock(mutex);
      if (closed) return false;
      for (auto& task : posted) (task.run ? answers : requests).push_back(std::move(task));
    }
    if (posted.size() == 1) ready.notify_one();
    else ready.notify_all();
    return true;
  }

  bool empty() const { return answers.empty() && requests.empty(); }

  WorkerTask take() {
    auto& from = answers.empty() ? requests : answers;
    WorkerTask task = std::move(from.front());
    from.pop_front();
    return task;
  }

  void settle_one() {
    std::lock_guard lock(mutex);
    if (--in_flight == 0) settled.notify_all();
  }
};

// The queue and service of the worker running on this thread: a completion that arrives
// on a worker of its own server answers at once, anywhere else it is posted.
thread_local WorkQueue* current_queue = nullptr;
thread_local SyncChannelService* current_service = nullptr;

// A SendMessage handed on, until its response is written.
struct PendingResponse {
  std::unique_ptr<Connection> connection;
  SyncChannelService::ReplyTo reply_to;
  bool keep_alive = false;
};

}  // namespace

struct SoapServer::Impl {
  MessageHandler& handler;
  ServerConfig config;
  SslContext tls;  // null for plain HTTP
  SyncChannelService refuser;  // reactor thread only: composes 413 refusals
  std::shared_ptr<WorkQueue> queue = std::make_shared<WorkQueue>();
  bool stopped = false;
  ConnectionReactor reactor;
  std::thread reactor_thread;
  std::vector<std::thread> workers;

  Impl(MessageHandler& h, ServerConfig c)
      : handler(h),
        config(std::move(c)),
        tls(config.tls ? make_server_context(*config.tls) : nullptr),
        refuser(h, config),
        reactor(reactor_config(config, tls.get()), [this](std::unique_ptr<Connection> connection) { enqueue(std::move(connection)); },
                [this](const std::string& reason) { return refuser.refusal_response(refuse(Code::Malformed, reason), 413); }) {}

  void enqueue(std::unique_ptr<Connection> connection) { queue->post(WorkerTask{std::move(connection), nullptr}); }

  int worker_count() const {
    if (config.workers > 0) return config.workers;
    return std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  }

  void worker_loop() {
    name_this_thread("sg-worker");
    SyncChannelService service(handler, config);
    current_queue = queue.get();
    current_service = &service;
    for (;;) {
      WorkerTask task;
      {
        std::unique_lock lock(queue->mutex);
        queue->ready.wait(lock, [&] { return queue->closed || !queue->empty(); });
        if (queue->closed) break;
        task = queue->take();
      }
      if (task.run) task.run(service);
      else serve(service, std::move(task.connection));
    }
    current_queue = nullptr;
    current_service = nullptr;
  }

  void serve(SyncChannelService& service, std::unique_ptr<Connection> connection) {
    auto& reader = connection->reader();
    const bool keep_alive = reader.keep_alive();
    if (is_health(reader.method(), reader.target())) return deliver(std::move(connection), health_response(config, keep_alive), keep_alive);
    if (is_wsdl(reader.method(), reader.target()))
      return deliver(std::move(connection), wsdl_response(config, reactor.port(), reader.request(), keep_alive), keep_alive);
    auto served = service.receive(reader.request(), connection->client_certificate());
    if (!served.message) return answer(std::move(connection), std::move(served.response), keep_alive);
    {
      std::lock_guard lock(queue->mutex);
      ++queue->in_flight;
    }
    auto pending = std::make_shared<PendingResponse>(PendingResponse{std::move(connection), std::move(served.reply_to), keep_alive});
    handler.handle_async(std::move(*served.message), [this, queue = queue, pending](Result<Receipt> outcome) {
      if (current_queue == queue.get()) return respond(*current_service, *pending, outcome);
      const bool posted = queue->post(WorkerTask{nullptr, [this, pending, outcome](SyncChannelService& service) {
                                                   respond(service, *pending, outcome);
                                                 }});
      if (!posted) queue->settle_one();  // stopped: the connection closes unanswered
    });
  }

  void respond(SyncChannelService& service, PendingResponse& pending, const Result<Receipt>& outcome) {
    answer(std::move(pending.connection), service.complete(pending.reply_to, outcome), pending.keep_alive);
    queue->settle_one();
  }

  // A SOAP response: keep-alive only when it frames itself.
  void answer(std::unique_ptr<Connection> connection, std::string response, bool keep_alive) {
    keep_alive = keep_alive && offer_keep_alive(response, config);
    deliver(std::move(connection), std::move(response), keep_alive);
  }

  // Writes what the socket takes now; the reactor writes the rest as the client reads, and
  // keeps or closes the connection after it.
  void deliver(std::unique_ptr<Connection> connection, std::string response, bool keep_alive) {
    const auto written = connection->write_some(response);
    if (!written) return;  // the peer is gone: closed here
    if (*written == response.size() && !keep_alive) return;
    connection->unsent = std::move(response);
    connection->unsent.erase(0, *written);
    connection->close_after_unsent = !keep_alive;
    reactor.resume(std::move(connection));
  }

  void stop() {
    if (std::exchange(stopped, true)) return;
    reactor.stop();
    if (reactor_thread.joinable()) reactor_thread.join();
    {
      // Messages handed on are answered when their commit completes, which takes a moment;
      // past the write deadline the connections close unanswered (the providers retry and
      // get the first receipt).
      std::unique_lock lock(queue->mutex);
      queue->settled.wait_for(lock, std::chrono::seconds(std::max(1, config.io_timeout_seconds)),
                              [&] { return queue->in_flight == 0; });
      queue->closed = true;
    }
    queue->ready.notify_all();
    for (auto& worker : workers) worker.join();
    workers.clear();
    std::lock_guard lock(queue->mutex);
    queue->answers.clear();
    queue->requests.clear();
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
  if (impl_->reactor_thread.joinable() || impl_->stopped) return;
  impl_->reactor_thread = std::thread([this] {
    name_this_thread("sg-reactor");
    impl_->reactor.run();
  });
  for (int i = 0; i < impl_->worker_count(); ++i) impl_->workers.emplace_back([this] { impl_->worker_loop(); });
}

void SoapServer::stop() { impl_->stop(); }

void SoapServer::run_on_workers(std::vector<std::function<void()>> tasks) {
  std::vector<WorkerTask> answers;
  for (auto& task : tasks) answers.push_back(WorkerTask{nullptr, [task = std::move(task)](SyncChannelService&) { task(); }});
  impl_->queue->post_all(std::move(answers));
}

}  // namespace stagegate::adapters
