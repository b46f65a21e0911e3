#define BOOST_TEST_MODULE http_hostile
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>
#include <string>
#include <vector>

#include "stagegate/adapters/soap_server.h"
#include "support/http.h"

using namespace stagegate;
using Clock = std::chrono::steady_clock;

namespace {

class CountingHandler final : public MessageHandler {
 public:
  Result<Receipt> handle(const InboundMessage&) override {
    return Receipt{static_cast<std::uint64_t>(++handled), "2026-11-22T10:00:00.000Z", false};
  }
  std::atomic<int> handled{0};
};

const std::string kEnvelope =
    "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
    "<typ:SendMessage xmlns:typ=\"http://bip.bee.kz/SyncChannel/v10/Types\"><request>"
    "<requestInfo><messageId>m-1</messageId><serviceId>STAGE_NOTIFICATION</serviceId>"
    "<messageDate>2026-11-22T10:00:00Z</messageDate><sender><senderId>akimat</senderId>"
    "<password>p</password></sender></requestInfo><requestData><data><d xmlns=\"urn:x\">ok</d></data>"
    "</requestData></request></typ:SendMessage></soap:Body></soap:Envelope>";

std::string post(const std::string& body) {
  return "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: \"\"\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A raw client socket that closes on destruction.
struct Socket {
  int fd = -1;
  explicit Socket(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("connect");
  }
  ~Socket() { close(); }
  Socket(const Socket&) = delete;
  Socket(Socket&& other) noexcept : fd(std::exchange(other.fd, -1)) {}
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  void send(std::string_view bytes) const {
    while (!bytes.empty()) {
      const auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  void reset_on_close() const {
    const linger abortive{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
  }
  // Reads until the server closes or the timeout passes; returns what arrived.
  std::string read_all(std::chrono::milliseconds timeout) const {
    std::string got;
    const auto deadline = Clock::now() + timeout;
    char buffer[8192];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd watched{fd, POLLIN, 0};
      if (left <= 0 || ::poll(&watched, 1, static_cast<int>(left)) <= 0) return got;
      const auto n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) return got;
      got.append(buffer, static_cast<std::size_t>(n));
    }
  }
  // True when the server has closed its side (EOF or reset) within the timeout.
  bool closed_by_server(std::chrono::milliseconds timeout) const {
    pollfd watched{fd, POLLIN, 0};
    if (::poll(&watched, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char byte;
    return ::recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
  }
};

struct HostileFixture {
  CountingHandler handler;
  std::unique_ptr<adapters::SoapServer> server;

  explicit HostileFixture(adapters::ServerConfig config = {}) {
    config.host = "127.0.0.1";
    config.port = 0;
    server = std::make_unique<adapters::SoapServer>(handler, config);
    // The server ignores SIGPIPE for the process; restore the default so that a send without
    // MSG_NOSIGNAL anywhere in the plain-HTTP path would kill this test.
    std::signal(SIGPIPE, SIG_DFL);
    server->start();
  }
  int port() const { return server->port(); }

  // A normal client's SendMessage; returns the latency, fails the test when not answered SCSS.
  std::chrono::microseconds normal_request() const {
    const auto start = Clock::now();
    const auto response = test::http_request(port(), "POST", "/", kEnvelope);
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    BOOST_TEST(response.status == 200, response.headers);
    BOOST_TEST(response.body.find("SCSS001") != std::string::npos);
    return took;
  }
};

adapters::ServerConfig with(auto change) {
  adapters::ServerConfig config;
  change(config);
  return config;
}

}  // namespace

BOOST_AUTO_TEST_CASE(thousands_of_abrupt_closes_mid_request_and_mid_response, *boost::unit_test::timeout(60)) {
  HostileFixture fixture;
  const auto start = Clock::now();
  const std::string request = post(kEnvelope);
  const std::string wsdl = "GET /?wsdl HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  constexpr int kRounds = 750;
  int closes = 0;
  for (int i = 0; i < kRounds; ++i) {
    {  // partial head
      Socket s(fixture.port());
      s.send(request.substr(0, 20));
    }
    {  // partial body
      Socket s(fixture.port());
      s.send(request.substr(0, request.size() - 30));
      if (i % 2) s.reset_on_close();
    }
    {  // whole SendMessage, gone before the reply (RST)
      Socket s(fixture.port());
      s.send(request);
      s.reset_on_close();
    }
    {  // whole ?wsdl (a large reply): gone at once, or reset once the reply has begun
      Socket s(fixture.port());
      s.send(wsdl);
      if (i % 2) {
        char first;
        ::recv(s.fd, &first, 1, 0);
        s.reset_on_close();
      }
    }
    closes += 4;
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  const auto latency = fixture.normal_request();
  BOOST_TEST(test::http_request(fixture.port(), "GET", "/health").status == 200);
  std::cout << "abrupt closes survived: " << closes << " in " << took.count() << " ms; then a normal SendMessage in "
            << latency.count() << " us\n";
}

BOOST_AUTO_TEST_CASE(slowloris_does_not_delay_a_normal_client, *boost::unit_test::timeout(60)) {
  HostileFixture fixture(with([](adapters::ServerConfig& c) { c.request_timeout_seconds = 3; }));
  constexpr int kSlow = 500;
  std::vector<Socket> slow;
  std::vector<Clock::time_point> opened;
  for (int i = 0; i < kSlow; ++i) {
    slow.emplace_back(fixture.port());
    opened.push_back(Clock::now());
    slow.back().send("POST / HTTP/1.1\r\n");
  }
  // One header byte per connection per second, while a normal client sends now and then.
  std::chrono::microseconds worst{0};
  int answered = 0;
  const auto start = Clock::now();
  for (int tick = 0; tick < 2; ++tick) {
    for (auto& s : slow) s.send("X");
    for (int i = 0; i < 3; ++i) {
      worst = std::max(worst, fixture.normal_request());
      ++answered;
      const auto health = test::http_request(fixture.port(), "GET", "/health");
      BOOST_TEST(health.status == 200);
    }
    std::this_thread::sleep_for(std::chrono::seconds(1) - (Clock::now() - start) % std::chrono::seconds(1));
  }
  BOOST_TEST(worst < std::chrono::microseconds(1'000'000));
  // The whole-request deadline (3 s) closes every slow connection, however it trickles.
  int closed = 0;
  std::chrono::milliseconds latest_close{0};
  for (int i = 0; i < kSlow; ++i) {
    const auto limit = opened[static_cast<std::size_t>(i)] + std::chrono::seconds(3) + std::chrono::milliseconds(1500);
    const auto left = std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(limit - Clock::now()));
    if (slow[static_cast<std::size_t>(i)].closed_by_server(left)) {
      ++closed;
      latest_close = std::max(latest_close, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - opened[static_cast<std::size_t>(i)]));
    }
  }
  BOOST_TEST(closed == kSlow);
  std::cout << "slowloris: " << kSlow << " slow connections held; " << answered << " normal SendMessages, worst latency "
            << worst.count() << " us; slow connections closed by the 3 s deadline: " << closed << ", the last after "
            << latest_close.count() << " ms\n";
}

BOOST_AUTO_TEST_CASE(connections_past_the_cap_are_refused_at_once, *boost::unit_test::timeout(60)) {
  HostileFixture fixture(with([](adapters::ServerConfig& c) { c.max_connections = 50; }));
  std::vector<Socket> held;
  for (int i = 0; i < 50; ++i) held.emplace_back(fixture.port());
  // Accepting is asynchronous: wait until the cap is reached, i.e. an extra connection is refused.
  const auto start = Clock::now();
  std::string refused;
  std::chrono::milliseconds refusal_time{0};
  while (Clock::now() - start < std::chrono::seconds(5)) {
    Socket extra(fixture.port());
    extra.send("GET /health HTTP/1.1\r\n\r\n");
    const auto asked = Clock::now();
    refused = extra.read_all(std::chrono::milliseconds(2000));
    refusal_time = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - asked);
    if (refused.starts_with("HTTP/1.1 503")) break;
  }
  BOOST_TEST(refused.starts_with("HTTP/1.1 503"), refused);
  BOOST_TEST(refusal_time < std::chrono::milliseconds(1000));
  held.clear();
  // Once they go, the server serves again.
  int status = 0;
  for (const auto until = Clock::now() + std::chrono::seconds(5); Clock::now() < until && status != 200;)
    status = test::http_request(fixture.port(), "GET", "/health").status;
  BOOST_TEST(status == 200);
  std::cout << "connection cap 50: the 51st refused 503 in " << refusal_time.count() << " ms\n";
}

BOOST_AUTO_TEST_CASE(oversized_and_deeply_nested_bodies_are_malformed, *boost::unit_test::timeout(60)) {
  HostileFixture fixture(with([](adapters::ServerConfig& c) { c.max_request_bytes = 64 * 1024; }));
  {  // declared too large: refused before any body byte is sent
    Socket s(fixture.port());
    s.send("POST / HTTP/1.1\r\nContent-Type: text/xml\r\nContent-Length: 100000000\r\n\r\n");
    const auto reply = s.read_all(std::chrono::milliseconds(3000));
    BOOST_TEST(reply.starts_with("HTTP/1.1 413"), reply);
    BOOST_TEST(reply.find("<errorCode>MALFORMED</errorCode>") != std::string::npos, reply);
  }
  {  // streamed too large (chunked): refused once the limit is passed
    Socket s(fixture.port());
    s.send("POST / HTTP/1.1\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n");
    const std::string chunk = "4000\r\n" + std::string(0x4000, 'x') + "\r\n";
    for (int i = 0; i < 5; ++i) s.send(chunk);
    const auto reply = s.read_all(std::chrono::milliseconds(3000));
    BOOST_TEST(reply.starts_with("HTTP/1.1 413"), reply);
    BOOST_TEST(reply.find("<errorCode>MALFORMED</errorCode>") != std::string::npos, reply);
  }
  {  // nested 100000 deep
    std::string nested;
    for (int i = 0; i < 100000; ++i) nested += "<a>";
    HostileFixture deep(with([](adapters::ServerConfig& c) { c.max_request_bytes = 2 * 1024 * 1024; }));
    const auto reply = test::http_request(deep.port(), "POST", "/",
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>" + nested);
    BOOST_TEST(reply.status == 500);
    BOOST_TEST(reply.body.find("<errorCode>MALFORMED</errorCode>") != std::string::npos, reply.body);
    BOOST_TEST(deep.handler.handled.load() == 0);
  }
  fixture.normal_request();
  BOOST_TEST(fixture.handler.handled.load() == 1);
}

BOOST_AUTO_TEST_CASE(clients_that_never_read_their_answers_hold_no_worker, *boost::unit_test::timeout(60)) {
  // One worker: before, a response the client did not read kept it writing for the whole
  // write deadline. Now the reactor holds what the socket did not take.
  HostileFixture fixture(with([](adapters::ServerConfig& c) {
    c.workers = 1;
    c.io_timeout_seconds = 2;
  }));
  constexpr int kStuck = 4;
  constexpr int kPipelined = 400;  // ~6.5 KB of WSDL each: far more than the socket buffers take
  std::string requests;
  for (int i = 0; i < kPipelined; ++i) requests += "GET /?wsdl HTTP/1.1\r\nHost: x\r\n\r\n";
  std::vector<Socket> stuck;
  std::vector<std::thread> senders;
  for (int i = 0; i < kStuck; ++i) stuck.emplace_back(fixture.port());
  for (auto& socket : stuck) senders.emplace_back([&socket, &requests] { socket.send(requests); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // their sockets fill up
  std::chrono::microseconds worst{0};
  for (int i = 0; i < 5; ++i) worst = std::max(worst, fixture.normal_request());
  BOOST_TEST(worst < std::chrono::microseconds(1'000'000));
  // Past the write deadline the reactor gives up on them.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  int closed = 0;
  for (auto& socket : stuck) {
    char buffer[65536];
    // Unread answers are still queued to this socket: read them away to reach the close.
    for (ssize_t n; (n = ::recv(socket.fd, buffer, sizeof buffer, MSG_DONTWAIT)) > 0;) {
    }
    closed += socket.closed_by_server(std::chrono::milliseconds(3000));
  }
  for (auto& sender : senders) sender.join();
  BOOST_TEST(closed == kStuck);
  std::cout << "never-reading clients: " << kStuck << " with " << kPipelined << " pipelined WSDL requests each; worst latency of a "
            << "normal SendMessage meanwhile " << worst.count() << " us with one worker\n";
}
