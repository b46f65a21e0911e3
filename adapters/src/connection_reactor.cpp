#include "connection_reactor.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace stagegate::adapters {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr auto kSweepInterval = std::chrono::milliseconds(50);
// After a refusal, how long the client may take to stop sending before we close: closing
// while it still sends would reset the connection and destroy the refusal unread.
constexpr auto kDrainTime = std::chrono::seconds(2);

const std::string kBadRequest = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
const std::string kBusy = "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n";

int bound_port(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return -1;
  if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  return -1;
}

int listen_on(const std::string& host, int port, int backlog) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int error = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &found); error != 0)
    throw std::runtime_error("cannot listen on " + host + ":" + service + ": " + gai_strerror(error));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);
  std::string failure = "no address";
  for (auto* address = found; address; address = address->ai_next) {
    const int fd = ::socket(address->ai_family, address->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, address->ai_protocol);
    if (fd < 0) continue;
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (::bind(fd, address->ai_addr, address->ai_addrlen) == 0 && ::listen(fd, backlog) == 0) return fd;
    failure = std::strerror(errno);
    ::close(fd);
  }
  throw std::runtime_error("cannot listen on " + host + ":" + service + ": " + failure);
}

std::string hex(const unsigned char* bytes, unsigned length) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  for (unsigned i = 0; i < length; ++i) {
    text += kDigits[bytes[i] >> 4];
    text += kDigits[bytes[i] & 15];
  }
  return text;
}

// The identity of a client certificate the handshake verified; none without one.
std::optional<ClientCertificate> verified_peer(SSL* ssl) {
  if (SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  std::unique_ptr<X509, decltype(&X509_free)> certificate(SSL_get1_peer_certificate(ssl), X509_free);
  if (!certificate) return std::nullopt;
  ClientCertificate identity;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  if (X509_digest(certificate.get(), EVP_sha256(), digest, &length) != 1) return std::nullopt;
  identity.fingerprint_sha256 = hex(digest, length);
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
  if (!out || X509_NAME_print_ex(out.get(), X509_get_subject_name(certificate.get()), 0, XN_FLAG_RFC2253) < 0) return std::nullopt;
  char* text = nullptr;
  const long size = BIO_get_mem_data(out.get(), &text);
  identity.subject.assign(text, static_cast<std::size_t>(size));
  return identity;
}

}  // namespace

Connection::Connection(int fd, SslHandle ssl, HttpRequestLimits limits, std::atomic<int>& open_count)
    : fd_(fd), ssl_(std::move(ssl)), reader_(limits), open_count_(open_count) {
  open_count_.fetch_add(1);
}

Connection::~Connection() {
  if (ssl_ && phase != Phase::handshake) SSL_shutdown(ssl_.get());  // non-blocking: best effort
  ssl_.reset();
  ERR_clear_error();
  ::close(fd_);
  open_count_.fetch_sub(1);
}

std::optional<std::size_t> Connection::write_some(std::string_view bytes) {
  std::size_t written = 0;
  while (written < bytes.size()) {
    const auto rest = bytes.substr(written);
    if (ssl_) {
      ERR_clear_error();
      const int sent = SSL_write(ssl_.get(), rest.data(), static_cast<int>(rest.size()));
      if (sent > 0) {
        written += static_cast<std::size_t>(sent);
        continue;
      }
      const int error = SSL_get_error(ssl_.get(), sent);
      if (error == SSL_ERROR_WANT_WRITE || error == SSL_ERROR_WANT_READ) return written;
      ERR_clear_error();
      return std::nullopt;
    }
    const auto sent = ::send(fd_, rest.data(), rest.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0) {
      written += static_cast<std::size_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return written;
    return std::nullopt;
  }
  return written;
}

ConnectionReactor::ConnectionReactor(ReactorConfig config, RequestSink sink, TooLargeResponse too_large)
    : config_(std::move(config)), sink_(std::move(sink)), too_large_(std::move(too_large)) {
  listener_ = listen_on(config_.host, config_.port, config_.backlog);
  port_ = bound_port(listener_);
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  wakeup_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_ < 0 || wakeup_ < 0) {
    ::close(listener_);
    throw std::runtime_error(std::string("cannot create the connection reactor: ") + std::strerror(errno));
  }
  watch(listener_, EPOLLIN, true);
  watch(wakeup_, EPOLLIN, true);
}

ConnectionReactor::~ConnectionReactor() {
  connections_.clear();
  resumed_.clear();
  ::close(listener_);
  ::close(epoll_);
  ::close(wakeup_);
}

void ConnectionReactor::watch(int fd, unsigned events, bool add) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  epoll_ctl(epoll_, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event);
}

void ConnectionReactor::watch(Connection& connection, unsigned events) {
  // One event per arming: a connection handed to a worker needs no EPOLL_CTL_DEL (and no
  // ADD when it comes back), and one that closes meanwhile cannot make the loop spin.
  connection.watched = events;
  rearmed_ = true;
  watch(connection.fd(), events | EPOLLONESHOT, false);
}

void ConnectionReactor::stop() {
  stopping_.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto ignored = ::write(wakeup_, &one, sizeof one);
}

void ConnectionReactor::resume(std::unique_ptr<Connection> connection) {
  // The common keep-alive case needs nothing of the reactor until the client's next bytes:
  // waking it for each response was an eventfd write and a context switch. TLS may hold
  // the next request decrypted inside OpenSSL, and buffered bytes arm no event: those go
  // the reactor's way.
  if (!connection->ssl() && connection->unsent.empty() && !connection->close_after_unsent &&
      !connection->reader().holds_more()) {
    const int fd = connection->fd();
    connection->reader().next_request();  // forgets the request served; nothing follows it
    connection->phase = Connection::Phase::idle;
    connection->deadline = Clock::now() + config_.keep_alive_timeout;
    connection->watched = EPOLLIN | EPOLLRDHUP;
    connection->armed_on_resume = true;
    {
      std::lock_guard lock(resumed_mutex_);
      resumed_.push_back(std::move(connection));
    }
    // Only once it is in resumed_: its event must find it there.
    watch(fd, EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, false);
    return;
  }
  {
    std::lock_guard lock(resumed_mutex_);
    resumed_.push_back(std::move(connection));
    // One wake-up for all connections resumed before the loop takes them: with many
    // requests in flight most resumes find it pending already.
    if (std::exchange(wakeup_pending_, true)) return;
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto ignored = ::write(wakeup_, &one, sizeof one);
}

void ConnectionReactor::run() {
  std::vector<epoll_event> events(256);
  auto next_sweep = Clock::now() + kSweepInterval;
  while (!stopping_.load()) {
    const int ready = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()),
                                 static_cast<int>(kSweepInterval.count()));
    for (int i = 0; i < ready; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener_) {
        accept_all();
      } else if (fd == wakeup_) {
        std::uint64_t count = 0;
        [[maybe_unused]] const auto ignored = ::read(wakeup_, &count, sizeof count);
        take_resumed();
      } else {
        on_event(fd, events[i].events);
      }
    }
    if (Clock::now() >= next_sweep) {
      sweep_deadlines();
      next_sweep = Clock::now() + kSweepInterval;
    }
  }
}

void ConnectionReactor::accept_all() {
  for (;;) {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) return;
      // Out of descriptors (EMFILE) and the like: a level-triggered listener would spin, so
      // stop watching it until the next sweep; the kernel's bounded backlog holds the rest.
      epoll_ctl(epoll_, EPOLL_CTL_DEL, listener_, nullptr);
      listener_paused_ = true;
      return;
    }
    if (open_count_.load() >= config_.max_connections) {
      // Over the cap: a prompt, explicit refusal (plain HTTP) or a close (TLS), never a wait.
      if (!config_.tls) [[maybe_unused]] const auto sent = ::send(fd, kBusy.data(), kBusy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      continue;
    }
    const int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    SslHandle ssl;
    if (config_.tls) {
      ssl.reset(SSL_new(config_.tls));
      if (!ssl || SSL_set_fd(ssl.get(), fd) != 1) {
        ::close(fd);
        continue;
      }
      SSL_set_mode(ssl.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
    auto connection = std::make_unique<Connection>(fd, std::move(ssl), config_.limits, open_count_);
    connection->phase = config_.tls ? Connection::Phase::handshake : Connection::Phase::reading;
    connection->deadline = Clock::now() + config_.request_timeout;  // the handshake counts too
    connection->watched = EPOLLIN | EPOLLRDHUP;
    connections_.emplace(fd, std::move(connection));
    watch(fd, EPOLLIN | EPOLLRDHUP | EPOLLONESHOT, true);
  }
}

void ConnectionReactor::on_event(int fd, unsigned events) {
  auto found = connections_.find(fd);
  if (found == connections_.end()) {
    take_resumed();  // armed by resume(), not taken back yet
    found = connections_.find(fd);
  }
  if (found == connections_.end()) return;  // with a worker: disarmed by this event (EPOLLONESHOT)
  Connection& connection = *found->second;
  rearmed_ = false;
  handle_event(fd, connection, events);
  // The event disarmed the socket: one still here waits for what it waited for before,
  // unless handling it chose anew.
  if (!rearmed_ && connections_.count(fd) != 0) watch(connection, connection.watched);
}

void ConnectionReactor::handle_event(int fd, Connection& connection, unsigned events) {
  if (events & EPOLLERR) return close_connection(fd);
  // Writability was only wanted for one OpenSSL step: back to waiting for bytes.
  if ((events & EPOLLOUT) && connection.phase != Connection::Phase::handshake && connection.phase != Connection::Phase::writing)
    watch(connection, EPOLLIN | EPOLLRDHUP);
  switch (connection.phase) {
    case Connection::Phase::handshake:
      handshake(connection);
      if (connection.phase != Connection::Phase::reading) break;
      [[fallthrough]];  // the client's first bytes may already be buffered in OpenSSL
    case Connection::Phase::reading:
    case Connection::Phase::idle:
      read_request(connection);
      break;
    case Connection::Phase::writing:
      return write_unsent(fd, connection);
    case Connection::Phase::draining:
      drain(connection);
      break;
  }
  after_read(fd, connection);
}

void ConnectionReactor::handshake(Connection& connection) {
  ERR_clear_error();
  const int result = SSL_accept(connection.ssl());
  if (result == 1) {
    connection.set_client_certificate(verified_peer(connection.ssl()));
    connection.phase = Connection::Phase::reading;
    watch(connection, EPOLLIN | EPOLLRDHUP);
    return;
  }
  const int error = SSL_get_error(connection.ssl(), result);
  if (error == SSL_ERROR_WANT_READ) return watch(connection, EPOLLIN | EPOLLRDHUP);
  if (error == SSL_ERROR_WANT_WRITE) return watch(connection, EPOLLOUT);
  // No certificate when one is required, an untrusted one, plain HTTP on the HTTPS port.
  ERR_clear_error();
  connection.phase = Connection::Phase::draining;
  connection.deadline = Clock::now();  // closed by after_read
}

void ConnectionReactor::read_request(Connection& connection) {
  char buffer[kReadChunk];
  while (connection.reader().state() == ReadState::need_more) {
    long received = 0;
    if (connection.ssl()) {
      ERR_clear_error();
      received = SSL_read(connection.ssl(), buffer, sizeof buffer);
      if (received <= 0) {
        const int error = SSL_get_error(connection.ssl(), static_cast<int>(received));
        if (error == SSL_ERROR_WANT_READ) return;
        if (error == SSL_ERROR_WANT_WRITE) return watch(connection, EPOLLOUT);
        ERR_clear_error();
        connection.deadline = Clock::now();  // the peer is gone
        connection.phase = Connection::Phase::draining;
        return;
      }
    } else {
      received = ::recv(connection.fd(), buffer, sizeof buffer, 0);
      if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
      if (received <= 0) {
        connection.deadline = Clock::now();
        connection.phase = Connection::Phase::draining;
        return;
      }
    }
    if (connection.phase == Connection::Phase::idle) {
      // The first byte of a keep-alive request: from now on the whole-request deadline runs.
      connection.phase = Connection::Phase::reading;
      connection.deadline = Clock::now() + config_.request_timeout;
    }
    connection.reader().feed(std::string_view(buffer, static_cast<std::size_t>(received)));
  }
}

void ConnectionReactor::after_read(int fd, Connection& connection) {
  if (connection.phase == Connection::Phase::draining) {
    if (connection.deadline <= Clock::now()) close_connection(fd);
    return;
  }
  switch (connection.reader().state()) {
    case ReadState::need_more:
      return;
    case ReadState::complete: {
      // No EPOLL_CTL_DEL: the socket is disarmed (EPOLLONESHOT) until resume() arms it, and
      // an event meanwhile finds no connection here.
      auto owned = std::move(connections_.at(fd));
      connections_.erase(fd);
      sink_(std::move(owned));
      return;
    }
    case ReadState::too_large:
      return refuse(connection, too_large_(connection.reader().reason()));
    case ReadState::malformed:
      return refuse(connection, kBadRequest);
  }
}

void ConnectionReactor::refuse(Connection& connection, std::string_view response) {
  // The refusal is small: one non-blocking attempt, which the socket buffer takes whole.
  if (connection.ssl()) {
    ERR_clear_error();
    SSL_write(connection.ssl(), response.data(), static_cast<int>(response.size()));
    SSL_shutdown(connection.ssl());
    ERR_clear_error();
  } else {
    [[maybe_unused]] const auto sent = ::send(connection.fd(), response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(connection.fd(), SHUT_WR);
  }
  connection.phase = Connection::Phase::draining;
  connection.deadline = Clock::now() + kDrainTime;
  watch(connection, EPOLLIN | EPOLLRDHUP);
}

void ConnectionReactor::drain(Connection& connection) {
  char buffer[kReadChunk];
  for (;;) {
    const auto received = ::recv(connection.fd(), buffer, sizeof buffer, 0);
    if (received > 0) continue;
    if (received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
    connection.deadline = Clock::now();  // the client has stopped: close now
    return;
  }
}

void ConnectionReactor::close_connection(int fd) {
  epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  connections_.erase(fd);
}

void ConnectionReactor::take_resumed() {
  std::vector<std::unique_ptr<Connection>> resumed;
  {
    std::lock_guard lock(resumed_mutex_);
    resumed.swap(resumed_);
    wakeup_pending_ = false;
  }
  for (auto& connection : resumed) {
    const int fd = connection->fd();
    Connection& kept = *connection;
    connections_.emplace(fd, std::move(connection));
    if (std::exchange(kept.armed_on_resume, false)) continue;  // idle, its deadline set, armed
    if (kept.unsent.empty()) {
      watch(kept, EPOLLIN | EPOLLRDHUP);
      await_next_request(fd, kept);
      continue;
    }
    // The client reads slowly: the rest goes as it reads, within the write deadline.
    kept.phase = Connection::Phase::writing;
    kept.deadline = Clock::now() + config_.write_timeout;
    watch(kept, EPOLLOUT);
  }
}

void ConnectionReactor::write_unsent(int fd, Connection& connection) {
  const auto written = connection.write_some(connection.unsent);
  if (!written) return close_connection(fd);
  connection.unsent.erase(0, *written);
  if (!connection.unsent.empty()) {
    // TLS may need to read before it can write (a key update): wait for either.
    if (connection.ssl()) watch(connection, EPOLLOUT | EPOLLIN);
    return;
  }
  if (connection.close_after_unsent) return close_connection(fd);
  watch(connection, EPOLLIN | EPOLLRDHUP);
  await_next_request(fd, connection);
}

void ConnectionReactor::await_next_request(int fd, Connection& connection) {
  connection.phase = Connection::Phase::idle;
  connection.deadline = Clock::now() + config_.keep_alive_timeout;
  // A pipelined request may already be buffered whole.
  if (connection.reader().next_request() != ReadState::need_more) after_read(fd, connection);
}

void ConnectionReactor::sweep_deadlines() {
  take_resumed();  // idle connections armed by resume() have deadlines too
  if (listener_paused_) {
    listener_paused_ = false;
    watch(listener_, EPOLLIN, true);
  }
  const auto now = Clock::now();
  std::vector<int> expired;
  for (const auto& [fd, connection] : connections_)
    if (connection->deadline <= now) expired.push_back(fd);
  for (const int fd : expired) close_connection(fd);
}

}  // namespace stagegate::adapters
