// One test per refusal code of CONTRACT.md section 5 that the gateway can produce today:
// each asserts the code and that nothing was journaled or delivered.
#include <boost/test/unit_test.hpp>

#include "integration/gateway_fixture.h"
#include "support/attack_manifest.h"
#include "support/http.h"

using namespace stagegate;
using namespace std::chrono_literals;

namespace {

struct RefusalFixture : test::GatewayFixture {
  void expect_refused(const adapters::SendReply& reply, const std::string& code) {
    BOOST_TEST(reply.transport_ok);
    BOOST_TEST(reply.status_code == code, reply.status_code << ": " << reply.message);
    BOOST_TEST(!reply.sequence.has_value());
    BOOST_TEST(!reply.message.empty());
    BOOST_TEST(gateway->journaled() == 0u);
    BOOST_TEST(!subscriber.receive(300ms).has_value());
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(refusals, RefusalFixture)

BOOST_AUTO_TEST_CASE(wrong_password_is_sender_auth) {
  expect_refused(post(sign(test::sample_stage()), "STAGE_NOTIFICATION", "wrong password"), "SENDER_AUTH");
}

BOOST_AUTO_TEST_CASE(unknown_sender_is_sender_auth) {
  adapters::OutboundMessage message;
  message.sender_id = "nobody";
  message.password = test::kPassword;
  message.document = sign(test::sample_stage());
  expect_refused(adapters::send_message(url(), message), "SENDER_AUTH");
}

BOOST_AUTO_TEST_CASE(unrouted_service_id_is_service_unknown) {
  expect_refused(post(sign(test::sample_stage()), "GBDFL_UniversalServiceSync"), "SERVICE_UNKNOWN");
}

BOOST_AUTO_TEST_CASE(ill_formed_document_is_malformed) {
  expect_refused(post("<StageNotification xmlns=\"urn:stagegate:stage:1\"><stage></StageNotification>"), "MALFORMED");
}

BOOST_AUTO_TEST_CASE(doctype_in_the_business_document_is_malformed) {
  // Escaped text (xs:string senders) is how a DOCTYPE could pass the envelope parser; it is
  // posted raw because the gSOAP client would escape it once more.
  const std::string doctype =
      "&lt;!DOCTYPE r [&lt;!ENTITY e SYSTEM &quot;file:///etc/passwd&quot;&gt;]&gt;&lt;r&gt;&amp;e;&lt;/r&gt;";
  const std::string envelope =
      "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
      "<t:SendMessage xmlns:t=\"http://bip.bee.kz/SyncChannel/v10/Types\"><request><requestInfo>"
      "<messageId>m-dtd</messageId><serviceId>STAGE_NOTIFICATION</serviceId>"
      "<messageDate>2026-11-22T10:00:00Z</messageDate><sender><senderId>" +
      std::string(test::kSender) + "</senderId><password>" + test::kPassword +
      "</password></sender></requestInfo><requestData><data>" + doctype +
      "</data></requestData></request></t:SendMessage></s:Body></s:Envelope>";
  const auto response = test::http_request(gateway->soap_port(), "POST", "/", envelope);
  BOOST_TEST(response.body.find("<errorCode>MALFORMED</errorCode>") != std::string::npos, response.body);
  BOOST_TEST(response.body.find("root:") == std::string::npos);
  BOOST_TEST(gateway->journaled() == 0u);
}

BOOST_AUTO_TEST_CASE(missing_required_field_is_schema) {
  const auto sample = test::sample_stage();
  const auto start = sample.find("<receptionPlace");
  const auto end = sample.find("</receptionPlace>") + std::string("</receptionPlace>").size();
  BOOST_REQUIRE(start != std::string::npos);
  auto without = sample;
  without.erase(start, end - start);
  const auto reply = post(sign(without));
  expect_refused(reply, "SCHEMA");
  BOOST_TEST(reply.message.find("receptionPlace") != std::string::npos, reply.message);
}

BOOST_AUTO_TEST_CASE(tampered_document_is_signature_invalid) {
  const auto signed_document = sign(test::sample_stage());
  const auto at = signed_document.find("<receptionPlace>") + std::string("<receptionPlace>").size();
  auto tampered = signed_document;
  tampered.insert(at, "X");
  expect_refused(post(tampered), "SIGNATURE_INVALID");
}

BOOST_AUTO_TEST_CASE(unsigned_document_is_signature_invalid) {
  expect_refused(post(test::sample_stage()), "SIGNATURE_INVALID");
}

BOOST_AUTO_TEST_CASE(certificate_from_an_untrusted_ca_is_signer_untrusted) {
  signing::CertificateRequest request;
  request.common_name = "Impostor";
  request.organization_bin = test::sample_provider_bin();
  const auto impostor = signing::Pki::issue_self_signed(dir.path(), "impostor", request);
  expect_refused(post(sign(test::sample_stage(), impostor)), "SIGNER_UNTRUSTED");
}

BOOST_AUTO_TEST_CASE(another_providers_certificate_is_signer_not_authorized) {
  const auto other = issue_signer("other-provider", "990340005550");
  expect_refused(post(sign(test::sample_stage(), other)), "SIGNER_NOT_AUTHORIZED");
}

BOOST_AUTO_TEST_CASE(attack_corpus_gets_its_codes_through_the_gateway) {
  // Every committed attack posted over HTTP: the verifier's code, except the other
  // provider's valid signature, which authorization refuses. Revocation is covered by the
  // unit test (this gateway has no CRL for the corpus CA).
  int posted = 0;
  for (auto [file, code] : test::attack_manifest()) {
    if (file == "revoked.xml") continue;
    if (file == "other-provider-bin.xml") code = "SIGNER_NOT_AUTHORIZED";
    if (code == "OK") code = "SCSS001";
    const auto reply = post(test::read_text(test::attacks_dir() / file), "STAGE_NOTIFICATION", test::kPassword, "attack-" + file);
    BOOST_TEST(reply.status_code == code, file << ": " << reply.status_code << " " << reply.message);
    ++posted;
  }
  BOOST_TEST(posted >= 25);
  BOOST_TEST(gateway->journaled() == 2u);  // valid.xml and valid-by-id.xml only
}

BOOST_AUTO_TEST_CASE(bad_check_digit_is_data_invalid) {
  const auto sample = test::sample_stage();
  const auto at = sample.find("<iin>") + 5;
  auto broken = sample;
  broken[at + 11] = broken[at + 11] == '0' ? '1' : '0';
  expect_refused(post(sign(broken)), "DATA_INVALID");
}

BOOST_AUTO_TEST_SUITE_END()
