// Revocation fails closed (issue 10, item 4): no CRL is a configuration error, an expired CRL
// refuses the signers under its CA with a reason naming it, the whole chain is checked, and
// the signer cache never outlives a CRL's nextUpdate.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <ctime>
#include <thread>

#include "stagegate/signing/pki.h"
#include "stagegate/signing/signer.h"
#include "stagegate/signing/verifier.h"
#include "support/temp_dir.h"

using namespace stagegate;
using namespace stagegate::signing;
using namespace std::chrono_literals;

namespace {

const std::string kDocument =
    "<StageNotification xmlns=\"urn:stagegate:stage:1\"><stage code=\"2\" at=\"2026-11-20T10:42:00+05:00\"/>"
    "</StageNotification>";

CertificateRequest signer_request(const std::string& name) {
  CertificateRequest request;
  request.common_name = name;
  request.organization_bin = "050140001238";
  request.person_iin = "880501300451";
  return request;
}

// A root CA, a subordinate CA under it, and a signer under each.
struct ChainFixture {
  test::TempDir dir{"stagegate-revocation"};
  Pki root = Pki::open_or_create(dir / "root", "stagegate root CA");
  Pki sub = root.issue_authority(dir / "sub", "stagegate sub CA");
  IssuedFiles root_signer = root.issue("root-signer", signer_request("Signer under root"));
  IssuedFiles sub_signer = sub.issue("sub-signer", signer_request("Signer under sub"));
  std::filesystem::path root_crl = root.revoke({}, "root");
  std::filesystem::path sub_crl = sub.revoke({}, "sub");

  TrustConfig trust(std::vector<std::filesystem::path> crls) const {
    return TrustConfig{{root.ca_certificate(), sub.ca_certificate()}, std::move(crls)};
  }

  std::string sign(const IssuedFiles& with) const {
    auto result = sign_enveloped(kDocument, with.private_key, with.certificate);
    BOOST_REQUIRE_MESSAGE(result.ok(), (result.ok() ? std::string() : result.refusal().reason));
    return result.value();
  }
};

std::string configuration_error(const TrustConfig& trust) {
  try {
    Verifier::create(trust);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

void expect_untrusted(const Result<VerifiedDocument>& result, const std::string& reason) {
  BOOST_REQUIRE_MESSAGE(!result.ok(), "expected SIGNER_UNTRUSTED, it verified");
  BOOST_TEST(result.refusal().code == Code::SignerUntrusted, result.refusal().reason);
  BOOST_TEST(result.refusal().reason == reason);
}

std::string utc(std::chrono::system_clock::time_point at) {
  const auto time = std::chrono::system_clock::to_time_t(at);
  std::tm parts{};
  gmtime_r(&time, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(revocation, ChainFixture)

BOOST_AUTO_TEST_CASE(no_crl_at_all_is_a_configuration_error) {
  const auto error = configuration_error(trust({}));
  BOOST_TEST(error.find("no CRL is loaded (--crl: none given)") != std::string::npos, error);
  BOOST_TEST(error.find("--no-revocation-check") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(an_empty_crl_directory_is_a_configuration_error) {
  std::filesystem::create_directories(dir / "crls");
  const auto error = configuration_error(trust({dir / "crls"}));
  BOOST_TEST(error.find("no CRL is loaded (--crl: " + (dir / "crls").string() + ")") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(every_ca_among_the_anchors_needs_a_crl_it_signed) {
  const auto only_root = configuration_error(trust({root_crl}));
  BOOST_TEST(only_root.find("no CRL signed by the trust anchor \"stagegate sub CA\"") != std::string::npos, only_root);
  const auto only_sub = configuration_error(trust({sub_crl}));
  BOOST_TEST(only_sub.find("no CRL signed by the trust anchor \"stagegate root CA\"") != std::string::npos, only_sub);
  BOOST_TEST(configuration_error(trust({root_crl, sub_crl})).empty());
}

BOOST_AUTO_TEST_CASE(a_crl_with_the_right_issuer_name_but_a_foreign_signature_does_not_count) {
  // Same subject name as the root, another key: its CRL names the root but cannot be verified.
  test::TempDir other{"stagegate-revocation-impostor"};
  const auto impostor = Pki::open_or_create(other / "pki", "stagegate root CA");
  const auto forged = impostor.revoke({}, "forged");
  const auto error = configuration_error(trust({forged, sub_crl}));
  BOOST_TEST(error.find("\"stagegate root CA\"") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(revocation_checking_off_needs_no_crl_and_takes_none) {
  auto off = trust({});
  off.check_revocation = false;
  BOOST_TEST(Verifier::create(off).verify(sign(sub_signer)).ok());
  off.crls = {root_crl, sub_crl};
  const auto error = configuration_error(off);
  BOOST_TEST(error.find("revocation checking is off") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(signers_under_root_and_sub_ca_verify_with_current_crls) {
  const auto verifier = Verifier::create(trust({root_crl, sub_crl}));
  const auto under_root = verifier.verify(sign(root_signer));
  BOOST_TEST(under_root.ok(), (under_root.ok() ? std::string() : under_root.refusal().reason));
  const auto under_sub = verifier.verify(sign(sub_signer));
  BOOST_TEST(under_sub.ok(), (under_sub.ok() ? std::string() : under_sub.refusal().reason));
}

BOOST_AUTO_TEST_CASE(a_revoked_leaf_is_signer_untrusted) {
  const auto revoking = sub.revoke({sub_signer.certificate}, "sub-revoking");
  expect_untrusted(Verifier::create(trust({root_crl, revoking})).verify(sign(sub_signer)),
                   "certificate: certificate revoked (Signer under sub)");
}

BOOST_AUTO_TEST_CASE(a_revoked_intermediate_refuses_every_signer_under_it) {
  // The leaf itself is not revoked: only checking the whole chain finds this.
  const auto revoking = root.revoke({sub.ca_certificate()}, "root-revoking-sub");
  const auto verifier = Verifier::create(trust({revoking, sub_crl}));
  expect_untrusted(verifier.verify(sign(sub_signer)), "certificate: the issuing CA stagegate sub CA is revoked");
  BOOST_TEST(verifier.verify(sign(root_signer)).ok());
}

BOOST_AUTO_TEST_CASE(an_expired_crl_refuses_the_signers_under_its_ca_naming_it_and_when) {
  const auto expired = sub.revoke({}, "sub-expired", -1h);
  const auto next_update = Pki::next_update_of(expired);
  BOOST_REQUIRE(next_update.has_value());
  const auto verifier = Verifier::create(trust({root_crl, expired}));
  expect_untrusted(verifier.verify(sign(sub_signer)),
                   "certificate: the CRL of stagegate sub CA expired at " + utc(*next_update) + "; load a fresh one");
  BOOST_TEST(verifier.verify(sign(root_signer)).ok());  // the root's CRL is current
}

BOOST_AUTO_TEST_CASE(an_old_crl_left_beside_a_fresh_one_changes_nothing) {
  const auto expired = sub.revoke({}, "sub-expired", -1h);
  const auto verifier = Verifier::create(trust({root_crl, expired, sub_crl}));
  const auto document = sign(sub_signer);
  for (int i = 0; i < 2; ++i) {  // validated, then from the cache
    const auto verified = verifier.verify(document);
    BOOST_TEST(verified.ok(), (verified.ok() ? std::string() : verified.refusal().reason));
  }
}

BOOST_AUTO_TEST_CASE(an_expired_crl_higher_in_the_chain_refuses_the_signers_below) {
  const auto expired = root.revoke({}, "root-expired", -1h);
  const auto verifier = Verifier::create(trust({expired, sub_crl}));
  const auto refused = verifier.verify(sign(sub_signer));
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.refusal().code == Code::SignerUntrusted);
  BOOST_TEST(refused.refusal().reason.find("the CRL of stagegate root CA expired at ") != std::string::npos,
             refused.refusal().reason);
}

BOOST_AUTO_TEST_CASE(a_cached_signer_is_checked_again_once_a_crl_of_its_chain_passes_its_next_update) {
  // The root's CRL (covering the sub CA) runs out in two seconds; the sub CA's own is current.
  const auto short_lived = root.revoke({}, "root-short", 2s);
  const auto verifier = Verifier::create(trust({short_lived, sub_crl}));
  const auto document = sign(sub_signer);
  BOOST_REQUIRE(verifier.verify(document).ok());  // validated, now cached
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  Result<VerifiedDocument> outcome = verifier.verify(document);
  while (outcome.ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    outcome = verifier.verify(document);
  }
  BOOST_REQUIRE_MESSAGE(!outcome.ok(), "the cached signer was still accepted 10 s after the CRL expired");
  BOOST_TEST(outcome.refusal().code == Code::SignerUntrusted);
  BOOST_TEST(outcome.refusal().reason.find("the CRL of stagegate root CA expired at ") != std::string::npos,
             outcome.refusal().reason);
  // Loading a fresh CRL (what a reload does) makes a new store, and the signer verifies again.
  const auto fresh = Verifier::create(trust({root.revoke({}, "root-fresh"), sub_crl}));
  BOOST_TEST(fresh.verify(document).ok());
}

BOOST_AUTO_TEST_CASE(the_cache_dies_with_the_store) {
  const auto document = sign(sub_signer);
  const auto before = Verifier::create(trust({root_crl, sub_crl}));
  BOOST_REQUIRE(before.verify(document).ok());
  const auto after = Verifier::create(trust({root_crl, sub.revoke({sub_signer.certificate}, "sub-revoking")}));
  expect_untrusted(after.verify(document), "certificate: certificate revoked (Signer under sub)");
  BOOST_TEST(before.verify(document).ok());  // the old store is untouched until replaced
}

BOOST_AUTO_TEST_SUITE_END()
