#define BOOST_TEST_MODULE adapters
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <mutex>
#include <vector>

#include "support/ports.h"
#include "stagegate/adapters/bus_client.h"
#include "stagegate/adapters/soap_server.h"
#include "support/http.h"

using namespace stagegate;

namespace {

// Stands in for the pipeline so the adapter is tested alone: records what it was handed
// and answers what the test tells it to.
class RecordingHandler final : public MessageHandler {
 public:
  Result<Receipt> handle(const InboundMessage& message) override {
    std::lock_guard lock(mutex);
    received.push_back(message);
    if (refusal) return *refusal;
    return Receipt{static_cast<std::uint64_t>(received.size()), "2026-11-22T10:00:00.000Z", false};
  }
  std::mutex mutex;
  std::vector<InboundMessage> received;
  std::optional<Refusal> refusal;
};

struct ServerFixture {
  RecordingHandler handler;
  adapters::SoapServer server{handler, adapters::ServerConfig{.host = "127.0.0.1", .port = 0, .tls = std::nullopt}};
  ServerFixture() { server.start(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server.port()) + "/"; }
};

const std::string kDocument =
    "<StageNotification xmlns=\"urn:stagegate:stage:1\" Id=\"s1\"><receptionPlace>ЦОН Алматы &amp; "
    "Қазақстан</receptionPlace></StageNotification>";

adapters::OutboundMessage outbound(const std::string& document) {
  adapters::OutboundMessage message;
  message.sender_id = "akimat";
  message.password = "x";
  message.document = document;
  return message;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(soap_server, ServerFixture)

BOOST_AUTO_TEST_CASE(envelope_fields_and_document_reach_the_handler_verbatim) {
  adapters::OutboundMessage message{.message_id = "m-1", .correlation_id = "c-1", .service_id = "STAGE_NOTIFICATION",
                                    .sender_id = "akimat", .password = "secret",
                                    .document = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + kDocument};
  const auto reply = adapters::send_message(url(), message);
  BOOST_TEST(reply.transport_ok);
  BOOST_TEST(reply.status_code == "SCSS001");
  BOOST_REQUIRE(reply.sequence.has_value());
  BOOST_TEST(*reply.sequence == 1u);
  BOOST_TEST(reply.received_at == "2026-11-22T10:00:00.000Z");
  BOOST_TEST(!reply.duplicate);
  BOOST_REQUIRE_EQUAL(handler.received.size(), 1u);
  const auto& got = handler.received.front();
  BOOST_TEST(got.message_id == "m-1");
  BOOST_TEST(got.correlation_id == "c-1");
  BOOST_TEST(got.service_id == "STAGE_NOTIFICATION");
  BOOST_TEST(got.sender_id == "akimat");
  BOOST_TEST(got.password == "secret");
  BOOST_TEST(got.document == kDocument);
}

BOOST_AUTO_TEST_CASE(character_references_and_prefixes_survive_the_envelope) {
  // Signed bytes must arrive as signed: a c14n'd carriage return (&#xD;), attribute quoting
  // and prefixed namespaces are all part of what the digest covers.
  const std::string document =
      "<p:Doc xmlns:p=\"urn:x\" a=\"1 &gt; 0\"><p:t>line&#xD;\nnext &lt;tag&gt;</p:t><ds:S xmlns:ds=\"urn:ds\">x</ds:S></p:Doc>";
  const auto reply = adapters::send_message(url(), outbound(document));
  BOOST_TEST(reply.status_code == "SCSS001");
  BOOST_REQUIRE_EQUAL(handler.received.size(), 1u);
  BOOST_TEST(handler.received.front().document == document);
}

BOOST_AUTO_TEST_CASE(refusal_becomes_a_fault_with_contract_error_info) {
  handler.refusal = Refusal{Code::SignatureInvalid, "digest mismatch"};
  const auto reply = adapters::send_message(url(), outbound(kDocument));
  BOOST_TEST(reply.transport_ok);
  BOOST_TEST(reply.status_code == "SIGNATURE_INVALID");
  BOOST_TEST(reply.message == "digest mismatch");
  BOOST_TEST(reply.http_status == 500);
}

BOOST_AUTO_TEST_CASE(overloaded_is_http_503_with_retry_after) {
  handler.refusal = Refusal{Code::Overloaded, "delivery backlog has reached the limit"};
  const std::string envelope =
      "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>"
      "<typ:SendMessage xmlns:typ=\"http://bip.bee.kz/SyncChannel/v10/Types\"><request>"
      "<requestInfo><messageId>m-9</messageId><serviceId>STAGE_NOTIFICATION</serviceId>"
      "<messageDate>2026-11-22T10:00:00Z</messageDate><sender><senderId>akimat</senderId>"
      "<password>p</password></sender></requestInfo><requestData><data><d xmlns=\"urn:x\">ok</d></data>"
      "</requestData></request></typ:SendMessage></soap:Body></soap:Envelope>";
  const auto response = test::http_request(server.port(), "POST", "/", envelope);
  BOOST_TEST(response.status == 503);
  BOOST_TEST(response.headers.find("Retry-After: 5") != std::string::npos, response.headers);
  BOOST_TEST(response.body.find("<errorCode>OVERLOADED</errorCode>") != std::string::npos, response.body);
  const auto reply = adapters::send_message(url(), outbound(kDocument), 5);
  BOOST_TEST(reply.transport_ok);
  BOOST_TEST(reply.status_code == "OVERLOADED");
  handler.refusal.reset();
  BOOST_TEST(adapters::send_message(url(), outbound(kDocument), 5).status_code == "SCSS001");
}

BOOST_AUTO_TEST_CASE(wsdl_is_served_on_get) {
  const auto response = test::http_request(server.port(), "GET", "/?wsdl");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body.find("SendMessageFault1_SendMessageFault") != std::string::npos);
  BOOST_TEST(response.body.find("http://bip.bee.kz/SyncChannel/v10/Types") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(broken_envelope_is_malformed_and_never_reaches_the_handler) {
  const auto response = test::http_request(server.port(), "POST", "/", "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><unclosed>");
  BOOST_TEST(response.status == 500);
  BOOST_TEST(response.body.find("<errorCode>MALFORMED</errorCode>") != std::string::npos, response.body);
  BOOST_TEST(handler.received.empty());
}

BOOST_AUTO_TEST_CASE(unbalanced_document_is_answered_malformed_while_the_connection_stays_open) {
  // The client keeps its side open (as SOAP stacks do); the parser wanting bytes past
  // Content-Length must end in a fault, not in a wait for the server's 30 s I/O timeout.
  const auto reply = adapters::send_message(url(), outbound("<a xmlns=\"urn:x\"><b></a>"), 5);
  BOOST_TEST(reply.transport_ok, reply.message);
  BOOST_TEST(reply.status_code == "MALFORMED", reply.status_code << ": " << reply.message);
  BOOST_TEST(handler.received.empty());
  // The worker is free again: a good message on a new connection is served.
  BOOST_TEST(adapters::send_message(url(), outbound(kDocument), 5).status_code == "SCSS001");
}

BOOST_AUTO_TEST_CASE(doctype_in_envelope_is_malformed) {
  const auto response = test::http_request(server.port(), "POST", "/",
      "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body>&e;</soap:Body></soap:Envelope>");
  BOOST_TEST(response.body.find("<errorCode>MALFORMED</errorCode>") != std::string::npos, response.body);
  BOOST_TEST(response.body.find("root:") == std::string::npos);
  BOOST_TEST(handler.received.empty());
}

BOOST_AUTO_TEST_CASE(escaped_string_data_is_accepted) {
  const std::string envelope =
      "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
      "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">"
      "<soap:Body><typ:SendMessage xmlns:typ=\"http://bip.bee.kz/SyncChannel/v10/Types\"><request xmlns=\"\">"
      "<requestInfo><messageId>m-2</messageId><serviceId>STAGE_NOTIFICATION</serviceId>"
      "<messageDate>2026-11-22T10:00:00+05:00</messageDate><sender><senderId>akimat</senderId>"
      "<password>p</password></sender></requestInfo><requestData><data xsi:type=\"xs:string\">"
      "&lt;d xmlns=&quot;urn:x&quot;&gt;ok&lt;/d&gt;</data></requestData></request></typ:SendMessage>"
      "</soap:Body></soap:Envelope>";
  const auto response = test::http_request(server.port(), "POST", "/", envelope);
  BOOST_TEST(response.status == 200, response.body);
  BOOST_REQUIRE_EQUAL(handler.received.size(), 1u);
  BOOST_TEST(handler.received.front().document == "<d xmlns=\"urn:x\">ok</d>");
}

BOOST_AUTO_TEST_CASE(oversized_request_is_refused_413_malformed) {
  std::string huge(3 * 1024 * 1024, 'x');
  const auto response = test::http_request(server.port(), "POST", "/",
      "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><x>" + huge + "</x></soap:Body></soap:Envelope>");
  BOOST_TEST(response.status == 413, response.headers);
  BOOST_TEST(response.body.find("<errorCode>MALFORMED</errorCode>") != std::string::npos, response.body);
  BOOST_TEST(handler.received.empty());
}

BOOST_AUTO_TEST_CASE(health_is_ok_by_default) {
  const auto response = test::http_request(server.port(), "GET", "/health");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body == "ok\n");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(health_hook_reports_problems_as_503_one_per_line) {
  RecordingHandler handler;
  adapters::ServerConfig config;
  config.port = 0;
  config.health = [] { return HealthReport{false, {"journal: disk I/O error", "delivery: retrying"}}; };
  adapters::SoapServer server(handler, config);
  server.start();
  const auto response = test::http_request(server.port(), "GET", "/health");
  BOOST_TEST(response.status == 503);
  BOOST_TEST(response.headers.find("text/plain") != std::string::npos);
  BOOST_TEST(response.body == "journal: disk I/O error\ndelivery: retrying\n");
}

namespace {
// Sends each request on one connection in turn and returns the raw bytes of each answer
// (read until the answer's Content-Length is complete).
std::vector<std::string> on_one_connection(int port, const std::vector<std::string>& requests) {
  const int fd = test::connect_loopback(port);
  BOOST_REQUIRE(fd >= 0);
  const timeval limit{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  std::vector<std::string> answers;
  for (const auto& request : requests) {
    ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::string raw;
    char buffer[8192];
    for (;;) {
      const auto split = raw.find("\r\n\r\n");
      if (split != std::string::npos) {
        const auto at = raw.find("Content-Length: ");
        if (at != std::string::npos && at < split && raw.size() >= split + 4 + std::stoul(raw.substr(at + 16))) break;
      }
      const auto n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      raw.append(buffer, static_cast<std::size_t>(n));
    }
    answers.push_back(raw);
  }
  ::close(fd);
  return answers;
}
}  // namespace

BOOST_AUTO_TEST_CASE(keep_alive_connection_serves_several_requests) {
  RecordingHandler handler;
  adapters::SoapServer server(handler, adapters::ServerConfig{.host = "127.0.0.1", .port = 0, .tls = std::nullopt});
  server.start();
  const std::string health = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string wsdl = "GET /?wsdl HTTP/1.1\r\nHost: x\r\n\r\n";
  const auto answers = on_one_connection(server.port(), {health, wsdl, health});
  BOOST_REQUIRE_EQUAL(answers.size(), 3u);
  BOOST_TEST(answers[0].starts_with("HTTP/1.1 200"), answers[0]);
  // Clients learn when an idle connection will be closed instead of racing the close.
  BOOST_TEST(answers[0].find("\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n") != std::string::npos, answers[0]);
  BOOST_TEST(answers[1].find("SendMessageFault1_SendMessageFault") != std::string::npos, answers[1].substr(0, 300));
  BOOST_TEST(answers[2].starts_with("HTTP/1.1 200"), answers[1].substr(0, 300));
}

BOOST_AUTO_TEST_CASE(an_idle_keep_alive_connection_is_served_then_closed_at_its_timeout) {
  // After a response the worker arms the connection for its next request itself (the reactor
  // is not woken): the reactor must still serve the next request and close the connection
  // once it has been idle for keep_alive_timeout_seconds.
  RecordingHandler handler;
  adapters::ServerConfig config;
  config.port = 0;
  config.keep_alive_timeout_seconds = 1;
  adapters::SoapServer server(handler, config);
  server.start();
  const int fd = test::connect_loopback(server.port());
  BOOST_REQUIRE(fd >= 0);
  const timeval limit{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  const std::string health = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  const auto answer = [&] {
    std::string raw;
    char buffer[4096];
    while (raw.find("\r\n\r\nok\n") == std::string::npos) {
      const auto n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      raw.append(buffer, static_cast<std::size_t>(n));
    }
    return raw;
  };
  for (int i = 0; i < 3; ++i) {  // idle a little less than the timeout between requests
    ::send(fd, health.data(), health.size(), MSG_NOSIGNAL);
    BOOST_TEST(answer().starts_with("HTTP/1.1 200"));
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
  }
  const auto idle_since = std::chrono::steady_clock::now();
  char byte = 0;
  const auto n = ::recv(fd, &byte, 1, 0);  // blocks until the server closes (or 5 s)
  const auto idle = std::chrono::steady_clock::now() - idle_since;
  ::close(fd);
  BOOST_TEST(n == 0);  // closed by the server, not timed out here
  BOOST_TEST(idle >= std::chrono::milliseconds(500));
  BOOST_TEST(idle < std::chrono::milliseconds(2500));
}

BOOST_AUTO_TEST_CASE(a_request_trickling_past_the_deadline_is_closed) {
  RecordingHandler handler;
  adapters::ServerConfig config;
  config.port = 0;
  config.request_timeout_seconds = 1;
  adapters::SoapServer server(handler, config);
  server.start();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(server.port()));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  const auto start = std::chrono::steady_clock::now();
  ::send(fd, "POST / HTTP/1.1\r\n", 17, MSG_NOSIGNAL);
  bool closed = false;
  for (int i = 0; i < 30 && !closed; ++i) {
    ::send(fd, "X", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    pollfd watched{fd, POLLIN, 0};
    if (::poll(&watched, 1, 100) > 0) {
      char byte;
      closed = ::recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
    }
  }
  const auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  BOOST_TEST(closed);
  BOOST_TEST((took >= std::chrono::milliseconds(900) && took < std::chrono::milliseconds(1800)));
  BOOST_TEST(handler.received.empty());
}
