#pragma once
// A real gateway on loopback: HTTP on a free port, ZeroMQ on a free port, SQLite in a temp
// dir, certificates from the test PKI. Messages are signed and posted as a provider would.
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "stagegate/adapters/bus_client.h"
#include "stagegate/app/gateway.h"
#include "stagegate/bus/consumer_registry.h"
#include "stagegate/bus/curve_keys.h"
#include "stagegate/bus/subscriber.h"
#include "stagegate/routing/rules.h"
#include "stagegate/signing/pki.h"
#include "stagegate/signing/provider_registry.h"
#include "stagegate/signing/signer.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace stagegate::test {

inline constexpr const char* kSender = "akimat-almaty";
inline constexpr const char* kPassword = "correct horse battery staple";

inline std::string sample_stage() { return read_text(std::filesystem::path(STAGEGATE_SAMPLES) / "stage.xml"); }

// The BIN the sample's provider element names; the registry and the signer use the same.
inline std::string sample_provider_bin() {
  const auto sample = sample_stage();
  const auto at = sample.find("bin=\"", sample.find("<provider"));
  return sample.substr(at + 5, 12);
}

inline std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

struct GatewayFixture {
  TempDir dir{"stagegate-e2e"};
  // The bus is CURVE as in production: the gateway's key pair and one observer's, registered.
  bus::CurveKeyPair bus_server_keys = bus::generate_curve_key_pair();
  bus::CurveKeyPair observer_keys = bus::generate_curve_key_pair();
  signing::Pki pki = signing::Pki::open_or_create(dir / "pki");
  signing::IssuedFiles signer = issue_signer("signer", sample_provider_bin());
  std::unique_ptr<app::Gateway> gateway = start_gateway();
  bus::Subscriber subscriber{observer_config({})};

  GatewayFixture() {
    if (!subscriber.wait_ready(std::chrono::seconds(10))) throw std::runtime_error("subscriber never got the welcome");
  }

  signing::IssuedFiles issue_signer(const std::string& stem, const std::string& bin) {
    signing::CertificateRequest request;
    request.common_name = "Signer " + stem;
    request.organization_bin = bin;
    request.person_iin = "880501300451";
    return pki.issue(stem, request);
  }

  std::unique_ptr<app::Gateway> start_gateway() {
    std::ofstream registry(dir / "providers.conf");
    registry << signing::ProviderRegistry::format_line(
                    signing::Provider{kSender, sample_provider_bin(), {"STAGE_NOTIFICATION", "SERVICE_INFO"}}, kPassword)
             << '\n';
    registry.close();
    std::ofstream(routes_file()) << routing::RoutingRules::default_text();
    app::GatewayConfig config;
    config.server.port = 0;
    config.bus_endpoint = "tcp://127.0.0.1:*";
    config.journal = dir / "journal.db";
    config.providers = dir / "providers.conf";
    config.routes = routes_file();
    // The committed attack corpus (tests/data) is signed by the committed test CA.
    config.trust.anchors = {pki.ca_certificate(), std::filesystem::path(STAGEGATE_TEST_DATA) / "pki" / "ca.pem"};
    // Revocation checking is on, as in production: each anchor's CRL, the committed one for tests/data.
    std::filesystem::create_directories(crl_dir());
    std::filesystem::copy_file(pki.revoke({}, "ca"), crl_file(), std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(std::filesystem::path(STAGEGATE_TEST_DATA) / "pki" / "ca.crl.pem",
                               crl_dir() / "test-data-ca.crl.pem", std::filesystem::copy_options::overwrite_existing);
    config.trust.crls = {crl_dir()};
    config.log_messages = false;
    config.reload_poll = std::chrono::milliseconds(100);
    // The built-in consumers each with its own key, as `stagegate dev-setup` registers them;
    // their key files under keys_dir() for tests that run the real consumer processes.
    std::ofstream consumers(consumers_file());
    consumers << bus::ConsumerRegistry::format_line({"observer", observer_keys.public_key, {}, true}) << '\n';
    std::filesystem::create_directories(keys_dir());
    bus::write_key_pair(keys_dir() / "gateway", bus_server_keys);
    for (const std::string name : {"monitoring", "knowledge_base", "notification"}) {
      const auto keys = bus::generate_curve_key_pair();
      bus::write_key_pair(keys_dir() / name, keys);
      consumers << bus::ConsumerRegistry::format_line({name, keys.public_key, {name}, false}) << '\n';
    }
    consumers.close();
    config.delivery.security = bus::BusSecurity{bus_server_keys.secret_key, consumers_file()};
    auto started = std::make_unique<app::Gateway>(config);
    started->start();
    return started;
  }

  std::filesystem::path crl_dir() const { return dir / "crls"; }
  // The CRL of `pki`'s CA in crl_dir() (revokes nothing at start); replace it to revoke.
  std::filesystem::path crl_file() const { return crl_dir() / "ca.crl.pem"; }
  std::filesystem::path registry_file() const { return dir / "providers.conf"; }
  std::filesystem::path routes_file() const { return dir / "routes.toml"; }
  std::filesystem::path consumers_file() const { return dir / "consumers.conf"; }

  // Key files of the built-in consumers (monitoring, knowledge_base, notification: NAME.key,
  // NAME.pub) and the gateway's public key (gateway.pub), as --key/--server-key take them.
  std::filesystem::path keys_dir() const { return dir / "bus-keys"; }

  // A durable consumer of its own destination with its registered key.
  bus::SubscriberConfig consumer_config(const std::string& name) const {
    bus::SubscriberConfig config;
    config.endpoint = gateway->bus_endpoint();
    config.name = name;
    config.topics = {name};
    config.server_public_key = bus_server_keys.public_key;
    config.secret_key = bus::read_secret_key(bus::secret_key_file(keys_dir() / name));
    config.public_key = bus::derive_public_key(config.secret_key);
    return config;
  }

  bus::SubscriberConfig observer_config(std::vector<std::string> destinations) const {
    bus::SubscriberConfig config;
    config.endpoint = gateway->bus_endpoint();
    config.topics = std::move(destinations);
    config.window = 256;
    config.server_public_key = bus_server_keys.public_key;
    config.public_key = observer_keys.public_key;
    config.secret_key = observer_keys.secret_key;
    return config;
  }

  // An observer of some destinations, welcomed before anything is posted.
  bus::Subscriber observe(std::vector<std::string> destinations) const {
    bus::Subscriber observer(observer_config(std::move(destinations)));
    if (!observer.wait_ready(std::chrono::seconds(10))) throw std::runtime_error("observer never got the welcome");
    return observer;
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(gateway->soap_port()) + "/"; }

  std::string sign(const std::string& document, const signing::IssuedFiles& with) const {
    auto signed_document = signing::sign_enveloped(document, with.private_key, with.certificate);
    if (!signed_document) throw std::runtime_error("signing failed: " + signed_document.refusal().reason);
    return signed_document.value();
  }
  std::string sign(const std::string& document) const { return sign(document, signer); }

  adapters::SendReply post(const std::string& document, const std::string& service_id = "STAGE_NOTIFICATION",
                           const std::string& password = kPassword, const std::string& message_id = "",
                           const std::string& sender = kSender) const {
    adapters::OutboundMessage message;
    message.sender_id = sender;
    message.password = password;
    message.service_id = service_id;
    message.message_id = message_id;
    message.document = document;
    return adapters::send_message(url(), message);
  }
};

}  // namespace stagegate::test
