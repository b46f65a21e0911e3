#define BOOST_TEST_MODULE signing
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "stagegate/signing/pki.h"
#include "stagegate/signing/signer.h"
#include "stagegate/signing/verifier.h"
#include "support/temp_dir.h"

using namespace stagegate;
using namespace stagegate::signing;
using namespace std::chrono_literals;

namespace {

const std::string kDocument =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<StageNotification xmlns=\"urn:stagegate:stage:1\" Id=\"s-1\">\n"
    "  <receptionPlace>ЦОН Алматы</receptionPlace>\n"
    "  <stage code=\"2\" at=\"2026-11-20T10:42:00+05:00\"/>\n"
    "</StageNotification>\n";

struct PkiFixture {
  test::TempDir dir{"stagegate-signing"};
  Pki pki = Pki::open_or_create(dir / "pki");
  IssuedFiles signer = pki.issue("signer", request("050140001238"));
  std::filesystem::path fresh_crl = pki.revoke({}, "fresh");  // revokes nothing: revocation checking needs a CRL

  static CertificateRequest request(const std::string& bin) {
    CertificateRequest request;
    request.common_name = "Сейткали Айгерим";
    request.organization_bin = bin;
    request.person_iin = "880501300451";
    return request;
  }

  Verifier verifier(std::vector<std::filesystem::path> crls = {}) const {
    if (crls.empty()) crls.push_back(fresh_crl);
    return Verifier::create(TrustConfig{{pki.ca_certificate()}, std::move(crls)});
  }

  std::string sign(const std::string& document, const IssuedFiles& with) const {
    auto result = sign_enveloped(document, with.private_key, with.certificate);
    BOOST_REQUIRE_MESSAGE(result.ok(), (result.ok() ? std::string() : result.refusal().reason));
    return result.value();
  }
  std::string sign(const std::string& document) const { return sign(document, signer); }
};

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "no " + from);
  return text.replace(at, from.size(), to);
}

std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const auto start = text.find(open);
  const auto end = text.find(close, start);
  return text.substr(start, end + close.size() - start);
}

void expect(const Result<VerifiedDocument>& result, Code code, const std::string& reason_part = "") {
  BOOST_REQUIRE_MESSAGE(!result.ok(), "expected a refusal");
  BOOST_TEST(result.refusal().code == code, result.refusal().reason);
  BOOST_TEST(result.refusal().reason.find(reason_part) != std::string::npos, result.refusal().reason);
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(verifier, PkiFixture)

BOOST_AUTO_TEST_CASE(signed_document_verifies_and_yields_the_signed_bytes) {
  const auto verified = verifier().verify(sign(kDocument));
  BOOST_REQUIRE_MESSAGE(verified.ok(), (verified.ok() ? std::string() : verified.refusal().reason));
  BOOST_TEST(verified->canonical_xml.find("<receptionPlace>ЦОН Алматы</receptionPlace>") != std::string::npos);
  BOOST_TEST(verified->canonical_xml.find("Signature") == std::string::npos);
  BOOST_TEST(verified->canonical_xml.rfind("<StageNotification", 0) == 0u);
  BOOST_TEST(verified->signer.organization_bin == "050140001238");
  BOOST_TEST(verified->signer.person_iin == "880501300451");
  BOOST_TEST(verified->signer.subject.find("OU=BIN050140001238") != std::string::npos, verified->signer.subject);
  BOOST_TEST(verified->signer.fingerprint_sha256.size() == 64u);
}

BOOST_AUTO_TEST_CASE(the_same_signer_verifies_again_from_the_cache) {
  const auto v = verifier();
  const auto document = sign(kDocument);
  for (int i = 0; i < 3; ++i) BOOST_TEST(v.verify(document).ok());
  expect(v.verify(replaced(document, "Алматы", "Астана")), Code::SignatureInvalid, "digest");
}

BOOST_AUTO_TEST_CASE(ecdsa_p256_signs_and_verifies) {
  auto request = PkiFixture::request("050140001238");
  request.key_type = CertificateRequest::KeyType::EcP256;
  const auto ec = pki.issue("ec-signer", request);
  const auto document = sign(kDocument, ec);
  BOOST_TEST(document.find("ecdsa-sha256") != std::string::npos);
  BOOST_TEST(verifier().verify(document).ok());
}

BOOST_AUTO_TEST_CASE(reference_by_root_id_verifies) {
  auto signed_document = sign_enveloped(kDocument, signer.private_key, signer.certificate, {.reference_root_by_id = true});
  BOOST_REQUIRE(signed_document.ok());
  BOOST_TEST(signed_document->find("URI=\"#s-1\"") != std::string::npos);
  const auto verified = verifier().verify(signed_document.value());
  BOOST_TEST(verified.ok(), (verified.ok() ? std::string() : verified.refusal().reason));
}

BOOST_AUTO_TEST_CASE(tampered_content_is_signature_invalid) {
  expect(verifier().verify(replaced(sign(kDocument), "code=\"2\"", "code=\"6\"")), Code::SignatureInvalid, "digest");
}

BOOST_AUTO_TEST_CASE(tampered_signature_value_is_signature_invalid) {
  auto document = sign(kDocument);
  const auto value_at = document.find("<ds:SignatureValue>") + std::string("<ds:SignatureValue>").size();
  document[value_at + 5] = document[value_at + 5] == 'A' ? 'B' : 'A';
  expect(verifier().verify(document), Code::SignatureInvalid, "signature value");
}

BOOST_AUTO_TEST_CASE(comment_injected_into_signed_text_is_signature_invalid) {
  // Exclusive c14n without comments would digest the same bytes with or without the
  // comment: the comment is unsigned content, so it is refused rather than ignored.
  const auto document = replaced(sign(kDocument), "ЦОН Алматы", "ЦОН<!--x--> Алматы");
  expect(verifier().verify(document), Code::SignatureInvalid, "comment");
}

BOOST_AUTO_TEST_CASE(unsigned_document_is_signature_invalid) {
  expect(verifier().verify(kDocument), Code::SignatureInvalid, "no ds:Signature");
}

BOOST_AUTO_TEST_CASE(key_only_in_key_value_is_never_trusted) {
  const auto document = sign(kDocument);
  const auto key_info = between(document, "<ds:KeyInfo>", "</ds:KeyInfo>");
  expect(verifier().verify(replaced(document, key_info,
                                    "<ds:KeyInfo><ds:KeyValue><ds:RSAKeyValue><ds:Modulus>AQAB</ds:Modulus>"
                                    "<ds:Exponent>AQAB</ds:Exponent></ds:RSAKeyValue></ds:KeyValue></ds:KeyInfo>")),
         Code::SignatureInvalid, "KeyInfo");
}

BOOST_AUTO_TEST_CASE(second_signature_is_refused) {
  const auto document = sign(kDocument);
  const auto signature = between(document, "<ds:Signature", "</ds:Signature>");
  expect(verifier().verify(replaced(document, "</StageNotification>", signature + "</StageNotification>")),
         Code::SignatureInvalid, "more than one");
}

BOOST_AUTO_TEST_CASE(weak_or_foreign_algorithms_are_refused) {
  const auto document = sign(kDocument);
  expect(verifier().verify(replaced(document, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                                    "http://www.w3.org/2000/09/xmldsig#rsa-sha1")),
         Code::SignatureInvalid, "rsa-sha1");
  expect(verifier().verify(replaced(document, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                                    "http://www.w3.org/2000/09/xmldsig#hmac-sha1")),
         Code::SignatureInvalid, "hmac-sha1");
  expect(verifier().verify(replaced(document, "http://www.w3.org/2001/04/xmlenc#sha256",
                                    "http://www.w3.org/2000/09/xmldsig#sha1")),
         Code::SignatureInvalid, "digest method");
}

BOOST_AUTO_TEST_CASE(certificate_from_another_ca_is_signer_untrusted) {
  const auto impostor = Pki::issue_self_signed(dir / "impostor", "impostor", PkiFixture::request("050140001238"));
  expect(verifier().verify(sign(kDocument, impostor)), Code::SignerUntrusted, "certificate");
}

BOOST_AUTO_TEST_CASE(expired_and_not_yet_valid_certificates_are_signer_untrusted) {
  auto expired = PkiFixture::request("050140001238");
  expired.not_before = std::chrono::system_clock::now() - 48h;
  expired.not_after = std::chrono::system_clock::now() - 24h;
  expect(verifier().verify(sign(kDocument, pki.issue("expired", expired))), Code::SignerUntrusted, "expired");
  auto future = PkiFixture::request("050140001238");
  future.not_before = std::chrono::system_clock::now() + 24h;
  future.not_after = std::chrono::system_clock::now() + 48h;
  expect(verifier().verify(sign(kDocument, pki.issue("future", future))), Code::SignerUntrusted, "not yet valid");
}

BOOST_AUTO_TEST_CASE(revoked_certificate_is_signer_untrusted) {
  const auto crl = pki.revoke({signer.certificate}, "revoked");
  const auto document = sign(kDocument);
  expect(verifier({crl}).verify(document), Code::SignerUntrusted, "revoked");
  const auto other = pki.issue("other", PkiFixture::request("050140001238"));
  BOOST_TEST(verifier({crl}).verify(sign(kDocument, other)).ok());
}

BOOST_AUTO_TEST_CASE(key_usage_without_digital_signature_is_signer_untrusted) {
  auto request = PkiFixture::request("050140001238");
  request.digital_signature = false;
  expect(verifier().verify(sign(kDocument, pki.issue("encipher-only", request))), Code::SignerUntrusted, "key usage");
}

BOOST_AUTO_TEST_CASE(doctype_and_ill_formed_input_are_malformed) {
  expect(verifier().verify("<!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><r>&e;</r>"), Code::Malformed,
         "DOCTYPE");
  expect(verifier().verify("<r><unclosed></r>"), Code::Malformed, "line 1");
}

BOOST_AUTO_TEST_CASE(size_and_depth_limits_are_malformed) {
  const auto strict = Verifier::create(TrustConfig{{pki.ca_certificate()}, {fresh_crl}}, DocumentLimits{1000, 10});
  expect(strict.verify("<r>" + std::string(2000, 'x') + "</r>"), Code::Malformed, "exceeds");
  std::string deep;
  for (int i = 0; i < 20; ++i) deep += "<a>";
  for (int i = 0; i < 20; ++i) deep += "</a>";
  expect(strict.verify(deep), Code::Malformed, "depth");
}

// The parser context is reused per thread (document_guard.cpp): nothing a refused document
// did to it may change how the next one on the thread verifies.
BOOST_AUTO_TEST_CASE(a_signed_document_verifies_the_same_after_each_hostile_one_on_the_thread) {
  const auto checker = verifier();
  const auto signed_document = sign(kDocument);
  const auto first = checker.verify(signed_document);
  BOOST_REQUIRE(first.ok());
  std::string too_deep = "<r xmlns=\"urn:evil\" xmlns:ds=\"urn:evil-ds\">";
  for (int i = 0; i < 300; ++i) too_deep += "<n>";
  const std::vector<std::string> hostile{
      "<!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><r>&e;</r>",
      too_deep,
      "<StageNotification xmlns=\"urn:evil\" xmlns:ds=\"urn:evil-ds\"><ds:Signature>",
      "<?oasis-xml-catalog catalog=\"http://127.0.0.1:9/c.xml\"?>" + signed_document.substr(signed_document.find("?>") + 2),
      replaced(signed_document, "ЦОН Алматы", "ЦОН Астаны"),
  };
  for (const auto& document : hostile) {
    BOOST_TEST(!checker.verify(document).ok());
    const auto again = checker.verify(signed_document);
    BOOST_REQUIRE_MESSAGE(again.ok(), (again.ok() ? std::string() : again.refusal().reason));
    BOOST_TEST(again->canonical_xml == first->canonical_xml);
  }
}

BOOST_AUTO_TEST_CASE(missing_trust_anchor_file_fails_at_startup) {
  BOOST_CHECK_THROW(Verifier::create(TrustConfig{{dir / "missing.pem"}, {fresh_crl}}), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
