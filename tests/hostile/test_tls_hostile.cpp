#define BOOST_TEST_MODULE tls_hostile
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "stagegate/adapters/bus_client.h"
#include "stagegate/adapters/soap_server.h"
#include "stagegate/signing/pki.h"
#include "stagegate/signing/provider_registry.h"
#include "support/http.h"
#include "support/temp_dir.h"

using namespace stagegate;

namespace {

// The authenticate step's certificate check over a provider bound to one certificate.
class BindingHandler final : public MessageHandler {
 public:
  Result<Receipt> handle(const InboundMessage& message) override {
    seen = message.client_certificate;
    if (auto bound = signing::check_client_certificate(provider, message.client_certificate); !bound) return bound.refusal();
    return Receipt{1, "2026-11-22T10:00:00.000Z", false};
  }
  signing::Provider provider{"akimat", "050140001238", {"STAGE_NOTIFICATION"}};
  std::optional<ClientCertificate> seen;
};

ClientCertificate identity_of(const std::filesystem::path& pem) {
  std::unique_ptr<FILE, decltype(&fclose)> file(fopen(pem.c_str(), "r"), fclose);
  std::unique_ptr<X509, decltype(&X509_free)> certificate(PEM_read_X509(file.get(), nullptr, nullptr, nullptr), X509_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  X509_digest(certificate.get(), EVP_sha256(), digest, &length);
  ClientCertificate identity;
  char hex[3];
  for (unsigned i = 0; i < length; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", digest[i]);
    identity.fingerprint_sha256 += hex;
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
  X509_NAME_print_ex(out.get(), X509_get_subject_name(certificate.get()), 0, XN_FLAG_RFC2253);
  char* text = nullptr;
  const long size = BIO_get_mem_data(out.get(), &text);
  identity.subject.assign(text, static_cast<std::size_t>(size));
  return identity;
}

signing::CertificateRequest named(const std::string& common_name) {
  signing::CertificateRequest request;
  request.common_name = common_name;
  return request;
}

struct TlsFixture {
  test::TempDir dir{"stagegate-tls-hostile"};
  signing::Pki server_pki = signing::Pki::open_or_create(dir / "server-pki", "test server CA");
  signing::Pki client_pki = signing::Pki::open_or_create(dir / "client-pki", "test client CA");
  signing::IssuedFiles server_files = server_pki.issue("gateway", named("127.0.0.1"));
  signing::IssuedFiles bound_files = client_pki.issue("provider", named("akimat system"));
  signing::IssuedFiles other_files = client_pki.issue("other", named("another system"));
  BindingHandler handler;
  std::unique_ptr<adapters::SoapServer> server;

  TlsFixture() {
    adapters::ServerConfig config;
    config.port = 0;
    config.tls = adapters::ServerTls{server_files.certificate, server_files.private_key, client_pki.ca_certificate(), false};
    server = std::make_unique<adapters::SoapServer>(handler, config);
    server->start();
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(server->port()) + "/"; }
  adapters::ClientTls client(const signing::IssuedFiles* files) const {
    adapters::ClientTls tls;
    tls.server_ca = server_pki.ca_certificate();
    if (files) {
      tls.certificate = files->certificate;
      tls.private_key = files->private_key;
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
};

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) throw std::runtime_error("connect");
  return fd;
}

// A TLS client that sends and never reads what comes back.
struct DeafTlsClient {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> context{SSL_CTX_new(TLS_client_method()), SSL_CTX_free};
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl{nullptr, SSL_free};
  int fd = -1;
  DeafTlsClient(int port, const std::filesystem::path& server_ca) {
    SSL_CTX_load_verify_locations(context.get(), server_ca.c_str(), nullptr);
    fd = connect_to(port);
    ssl.reset(SSL_new(context.get()));
    SSL_set_fd(ssl.get(), fd);
    if (SSL_connect(ssl.get()) != 1) throw std::runtime_error("TLS handshake");
  }
  ~DeafTlsClient() {
    ssl.reset();
    ::close(fd);
  }
  void send(const std::string& bytes) const { SSL_write(ssl.get(), bytes.data(), static_cast<int>(bytes.size())); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(tls_hostile, TlsFixture)

BOOST_AUTO_TEST_CASE(tls_clients_that_never_read_their_answers_hold_no_worker, *boost::unit_test::timeout(60)) {
  // More deaf clients than workers (one per core): TLS answers the socket does not take are
  // left to the event loop, as plain ones are.
  std::string requests;
  for (int i = 0; i < 400; ++i) requests += "GET /?wsdl HTTP/1.1\r\nHost: x\r\n\r\n";
  std::vector<std::unique_ptr<DeafTlsClient>> deaf;
  for (int i = 0; i < 6; ++i) {
    deaf.push_back(std::make_unique<DeafTlsClient>(server->port(), server_pki.ca_certificate()));
    deaf.back()->send(requests);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto bound = identity_of(bound_files.certificate);
  handler.provider.tls_fingerprints = {bound.fingerprint_sha256};
  const auto started = std::chrono::steady_clock::now();
  BOOST_TEST(adapters::send_message(url(), message(), 10, client(&bound_files)).status_code == "SCSS001");
  const auto took = std::chrono::steady_clock::now() - started;
  BOOST_TEST((took < std::chrono::seconds(2)));
  std::cout << "6 deaf TLS clients with 400 pipelined WSDL requests each; a SendMessage meanwhile took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
}

BOOST_AUTO_TEST_CASE(bound_sender_needs_its_own_client_certificate, *boost::unit_test::timeout(60)) {
  const auto bound = identity_of(bound_files.certificate);
  handler.provider.tls_fingerprints = {bound.fingerprint_sha256};
  handler.provider.tls_subject = bound.subject;

  const auto with_other = adapters::send_message(url(), message(), 10, client(&other_files));
  BOOST_TEST(with_other.status_code == "SENDER_AUTH", with_other.status_code << ": " << with_other.message);
  BOOST_REQUIRE(handler.seen.has_value());
  BOOST_TEST(handler.seen->fingerprint_sha256 == identity_of(other_files.certificate).fingerprint_sha256);

  const auto without = adapters::send_message(url(), message(), 10, client(nullptr));
  BOOST_TEST(without.status_code == "SENDER_AUTH", without.status_code << ": " << without.message);
  BOOST_TEST(!handler.seen.has_value());

  const auto with_bound = adapters::send_message(url(), message(), 10, client(&bound_files));
  BOOST_TEST(with_bound.status_code == "SCSS001", with_bound.status_code << ": " << with_bound.message);
  BOOST_REQUIRE(handler.seen.has_value());
  BOOST_TEST(handler.seen->subject == bound.subject);
  std::cout << "bound subject: " << bound.subject << "\n";
}

BOOST_AUTO_TEST_CASE(abrupt_closes_during_handshake_and_after_request_leave_https_serving, *boost::unit_test::timeout(60)) {
  const std::string garbage = "\x16\x03\x01\x00\x05hello";
  for (int i = 0; i < 300; ++i) {
    const int fd = connect_to(server->port());
    if (i % 3 == 1) ::send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL);
    if (i % 3 == 2) {
      const linger abortive{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
    }
    ::close(fd);
  }
  const auto bound = identity_of(bound_files.certificate);
  handler.provider.tls_fingerprints = {bound.fingerprint_sha256};
  BOOST_TEST(adapters::send_message(url(), message(), 10, client(&bound_files)).status_code == "SCSS001");
}

BOOST_AUTO_TEST_SUITE_END()
