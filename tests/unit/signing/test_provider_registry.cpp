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
