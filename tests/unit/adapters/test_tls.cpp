#define BOOST_TEST_MODULE adapters_tls
#include <boost/test/unit_test.hpp>

#include <atomic>

#include "stagegate/adapters/bus_client.h"
#include "stagegate/adapters/soap_server.h"
#include "stagegate/signing/pki.h"
#include "support/http.h"
#include "support/temp_dir.h"

using namespace stagegate;

namespace {

class CountingHandler final : public MessageHandler {
 public:
  Result<Receipt> handle(const InboundMessage&) override {
    return Receipt{static_cast<std::uint64_t>(++handled), "2026-11-22T10:00:00.000Z", false};
  }
  std::atomic<int> handled{0};
};

signing::CertificateRequest named(const std::string& common_name) {
  signing::CertificateRequest request;
  request.common_name = common_name;
  return request;
}

// A server CA that issued the gateway's certificate, and a separate CA for providers'
// client certificates, as an operator would run them.
struct TlsFixture {
  test::TempDir dir{"stagegate-tls"};
  signing::Pki server_pki = signing::Pki::open_or_create(dir / "server-pki", "test server CA");
  signing::Pki client_pki = signing::Pki::open_or_create(dir / "client-pki", "test client CA");
  signing::IssuedFiles server_files = server_pki.issue("gateway", named("127.0.0.1"));
  signing::IssuedFiles client_files = client_pki.issue("provider", named("akimat system"));
  CountingHandler handler;

  std::unique_ptr<adapters::SoapServer> start(bool require_client_certificate) {
    adapters::ServerConfig config;
    config.port = 0;
    config.tls = adapters::ServerTls{server_files.certificate, server_files.private_key,
                                     require_client_certificate ? client_pki.ca_certificate() : std::filesystem::path{},
                                     require_client_certificate};
    auto server = std::make_unique<adapters::SoapServer>(handler, config);
    server->start();
    return server;
  }

  adapters::ClientTls client(bool with_certificate) const {
    adapters::ClientTls tls;
    tls.server_ca = server_pki.ca_certificate();
    if (with_certificate) {
      tls.certificate = client_files.certificate;
      tls.private_key = client_files.private_key;
    }
    return tls;
  }

  static adapters::OutboundMessage message() {
    adapters::OutboundMessage outbound;
    outbound.sender_id = "akimat";
    outbound.password = "x";
    outbound.document = "<d xmlns=\"urn:x\">ok</d>";
    return outbound;
  }

  static std::string https(const adapters::SoapServer& server) {
    return "https://127.0.0.1:" + std::to_string(server.port()) + "/";
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(tls, TlsFixture)

BOOST_AUTO_TEST_CASE(https_request_is_served) {
  const auto server = start(false);
  const auto reply = adapters::send_message(https(*server), message(), 10, client(false));
  BOOST_TEST(reply.status_code == "SCSS001", reply.status_code << ": " << reply.message);
  BOOST_TEST(handler.handled == 1);
}

BOOST_AUTO_TEST_CASE(server_from_an_unknown_ca_is_not_trusted_by_the_client) {
  const auto server = start(false);
  auto tls = client(false);
  tls.server_ca = client_pki.ca_certificate();  // not the CA that issued the server's certificate
  const auto reply = adapters::send_message(https(*server), message(), 10, tls);
  BOOST_TEST(!reply.transport_ok);
  BOOST_TEST(handler.handled == 0);
}

BOOST_AUTO_TEST_CASE(client_certificate_is_required_when_configured) {
  const auto server = start(true);
  const auto without = adapters::send_message(https(*server), message(), 10, client(false));
  BOOST_TEST(!without.transport_ok, without.status_code << ": " << without.message);
  BOOST_TEST(handler.handled == 0);
  const auto with = adapters::send_message(https(*server), message(), 10, client(true));
  BOOST_TEST(with.status_code == "SCSS001", with.status_code << ": " << with.message);
  BOOST_TEST(handler.handled == 1);
}

BOOST_AUTO_TEST_CASE(client_certificate_from_another_ca_is_refused) {
  const auto server = start(true);
  auto tls = client(false);
  const auto stranger = server_pki.issue("stranger", named("not a provider"));
  tls.certificate = stranger.certificate;
  tls.private_key = stranger.private_key;
  const auto reply = adapters::send_message(https(*server), message(), 10, tls);
  BOOST_TEST(!reply.transport_ok);
  BOOST_TEST(handler.handled == 0);
}

BOOST_AUTO_TEST_CASE(plain_http_on_the_https_port_gets_no_soap_answer) {
  const auto server = start(false);
  const auto response = test::http_request(server->port(), "GET", "/?wsdl");
  BOOST_TEST(response.status != 200);
  BOOST_TEST(response.body.find("definitions") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(unreadable_key_is_a_startup_error) {
  adapters::ServerConfig config;
  config.port = 0;
  config.tls = adapters::ServerTls{server_files.certificate, dir / "missing.key", {}, false};
  BOOST_CHECK_THROW(adapters::SoapServer(handler, config), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
