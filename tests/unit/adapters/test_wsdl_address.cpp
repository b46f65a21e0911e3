// soap:address in the WSDL at ?wsdl: the public URL, else the request's Host, never a constant.
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/ports.h"
#include "stagegate/adapters/soap_server.h"
#include "stagegate/adapters/wsdl.h"

using namespace stagegate;

namespace {

class NoHandler final : public MessageHandler {
 public:
  Result<Receipt> handle(const InboundMessage&) override { return Refusal{Code::Internal, "not in this test"}; }
};

// One raw GET with the given Host header line (empty: none); returns the whole answer.
std::string get_wsdl(int port, const std::string& host_line) {
  const int fd = test::connect_loopback(port);
  BOOST_REQUIRE(fd >= 0);
  const std::string request = "GET /?wsdl HTTP/1.0\r\n" + host_line + "\r\n";
  BOOST_REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size()));
  std::string raw;
  char buffer[8192];
  for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) raw.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return raw;
}

std::string soap_address(const std::string& answer) {
  const std::string attribute = "<soap:address location=\"";
  const auto start = answer.find(attribute);
  if (start == std::string::npos) return "<none>";
  const auto value = start + attribute.size();
  return answer.substr(value, answer.find('"', value) - value);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(wsdl_address)

BOOST_AUTO_TEST_CASE(address_is_where_the_request_came_to) {
  NoHandler handler;
  adapters::SoapServer server(handler, adapters::ServerConfig{.host = "127.0.0.1", .port = 0, .tls = std::nullopt});
  server.start();
  const auto port = std::to_string(server.port());
  BOOST_TEST(soap_address(get_wsdl(server.port(), "Host: gateway.example.kz:" + port + "\r\n")) ==
             "http://gateway.example.kz:" + port + "/");
  BOOST_TEST(soap_address(get_wsdl(server.port(), "HOST: [::1]:8443\r\n")) == "http://[::1]:8443/");
  // No Host (HTTP/1.0): where the server listens, with the port it really got.
  BOOST_TEST(soap_address(get_wsdl(server.port(), "")) == "http://127.0.0.1:" + port + "/");
}

BOOST_AUTO_TEST_CASE(a_hostile_host_never_reaches_the_wsdl) {
  NoHandler handler;
  adapters::SoapServer server(handler, adapters::ServerConfig{.host = "127.0.0.1", .port = 0, .tls = std::nullopt});
  server.start();
  const auto listening = "http://127.0.0.1:" + std::to_string(server.port()) + "/";
  for (const std::string host : {"evil\"/><x:y", "a.kz:80\"", "a.kz:99999", "a b", "<script>", "a.kz:8x", "[::1", ""}) {
    const auto answer = get_wsdl(server.port(), "Host: " + host + "\r\n");
    BOOST_TEST(answer.starts_with("HTTP/1.1 200"), host);
    BOOST_TEST(soap_address(answer) == listening, host);
    BOOST_TEST(answer.find("x:y") == std::string::npos);
    BOOST_TEST(answer.find("<script>") == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(public_url_wins_and_is_escaped) {
  NoHandler handler;
  adapters::ServerConfig config;
  config.port = 0;
  config.public_url = "https://sync.example.kz/bus?a=1&b=2";
  adapters::SoapServer server(handler, config);
  server.start();
  const auto answer = get_wsdl(server.port(), "Host: elsewhere:1\r\n");
  BOOST_TEST(soap_address(answer) == "https://sync.example.kz/bus?a=1&amp;b=2");
}

BOOST_AUTO_TEST_CASE(host_and_url_checks) {
  BOOST_TEST(adapters::address_from_host("a.kz", true).value_or("") == "https://a.kz/");
  BOOST_TEST(adapters::address_from_host(" 10.0.0.1:8080 ", false).value_or("") == "http://10.0.0.1:8080/");
  BOOST_TEST(!adapters::address_from_host("a.kz:", false));
  BOOST_TEST(!adapters::address_from_host("a&b", false));
  BOOST_TEST(!adapters::public_url_problem("https://a.kz/bus"));
  BOOST_TEST(adapters::public_url_problem("ftp://a.kz/").has_value());
  BOOST_TEST(adapters::public_url_problem("http:///x").has_value());
  BOOST_TEST(adapters::public_url_problem("http://a.kz/\"x").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
