#include <boost/test/unit_test.hpp>

#include <fstream>

#include "stagegate/signing/provider_registry.h"
#include "support/temp_dir.h"

using namespace stagegate;
using namespace stagegate::signing;

BOOST_AUTO_TEST_SUITE(provider_registry)

BOOST_AUTO_TEST_CASE(lines_written_by_format_line_load_and_authenticate) {
  test::TempDir dir;
  {
    std::ofstream out(dir / "providers.conf");
    out << "# comment\n\n"
        << ProviderRegistry::format_line(Provider{"akimat", "050140001238", {"STAGE_NOTIFICATION", "SERVICE_INFO"}}, "s3cret")
        << "\n";
  }
  const auto registry = ProviderRegistry::load(dir / "providers.conf");
  const auto provider = registry.authenticate("akimat", "s3cret");
  BOOST_REQUIRE(provider.ok());
  BOOST_TEST(provider->bin == "050140001238");
  BOOST_TEST(provider->services.size() == 2u);
  BOOST_TEST(registry.authenticate("akimat", "s3cret").ok());  // the remembered path
  BOOST_TEST(registry.authenticate("akimat", "wrong").refusal().code == Code::SenderAuth);
  BOOST_TEST(registry.authenticate("nobody", "s3cret").refusal().reason ==
             registry.authenticate("akimat", "wrong").refusal().reason);
}

BOOST_AUTO_TEST_CASE(certificate_binding_fields_round_trip_and_bind_the_sender) {
  test::TempDir dir;
  const std::string fingerprint(64, 'a');
  const std::string rotated = "BB:" + std::string(62, 'b').substr(0, 60) + "bb";
  {
    Provider bound{"akimat", "050140001238", {"STAGE_NOTIFICATION"}};
    bound.tls_fingerprints = {fingerprint};
    bound.tls_subject = "CN=akimat system,O=Akimat";
    std::ofstream out(dir / "providers.conf");
    out << ProviderRegistry::format_line(bound, "s3cret") << "\n"
        << "old 050140001238 " << ProviderRegistry::hash_password("p") << " STAGE_NOTIFICATION\n"
        << "rotating 050140001238 " << ProviderRegistry::hash_password("p") << " STAGE_NOTIFICATION tls-sha256="
        << fingerprint << "," << rotated << "\n";
  }
  const auto registry = ProviderRegistry::load(dir / "providers.conf");
  const auto bound = registry.authenticate("akimat", "s3cret");
  BOOST_REQUIRE(bound.ok());
  BOOST_TEST(bound->tls_subject == "CN=akimat system,O=Akimat");
  const ClientCertificate right{"CN=akimat system,O=Akimat", fingerprint};
  BOOST_TEST(check_client_certificate(bound.value(), right).ok());
  BOOST_TEST(check_client_certificate(bound.value(), std::nullopt).refusal().code == Code::SenderAuth);
  BOOST_TEST(check_client_certificate(bound.value(), ClientCertificate{right.subject, std::string(64, 'c')}).refusal().code == Code::SenderAuth);
  BOOST_TEST(check_client_certificate(bound.value(), ClientCertificate{"CN=other", fingerprint}).refusal().code == Code::SenderAuth);
  const auto old = registry.authenticate("old", "p");
  BOOST_REQUIRE(old.ok());
  BOOST_TEST(check_client_certificate(old.value(), std::nullopt).ok());
  const auto rotating = registry.authenticate("rotating", "p");
  BOOST_REQUIRE(rotating.ok());
  BOOST_TEST(rotating->tls_fingerprints.size() == 2u);
  BOOST_TEST(check_client_certificate(rotating.value(), ClientCertificate{"CN=x", std::string(62, 'b') + "bb"}).ok());
}

BOOST_AUTO_TEST_CASE(bad_binding_fields_name_file_and_line) {
  test::TempDir dir;
  {
    std::ofstream out(dir / "providers.conf");
    out << "akimat 050140001238 " << ProviderRegistry::hash_password("p") << " STAGE_NOTIFICATION tls-sha256=zz\n";
  }
  BOOST_CHECK_EXCEPTION(ProviderRegistry::load(dir / "providers.conf"), std::runtime_error,
                        [](const std::runtime_error& e) { return std::string(e.what()).find(":1: bad field") != std::string::npos; });
}

BOOST_AUTO_TEST_CASE(hashes_are_salted) {
  BOOST_TEST(ProviderRegistry::hash_password("same") != ProviderRegistry::hash_password("same"));
  BOOST_TEST(ProviderRegistry::hash_password("same").rfind("pbkdf2-sha256$10000$", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(bad_lines_name_file_and_line) {
  test::TempDir dir;
  {
    std::ofstream out(dir / "providers.conf");
    out << "akimat 123 nohash STAGE_NOTIFICATION\n";
  }
  try {
    ProviderRegistry::load(dir / "providers.conf");
    BOOST_FAIL("expected a configuration error");
  } catch (const std::runtime_error& error) {
    BOOST_TEST(std::string(error.what()).find("providers.conf:1") != std::string::npos);
  }
  BOOST_CHECK_THROW(ProviderRegistry::load(dir / "missing.conf"), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
