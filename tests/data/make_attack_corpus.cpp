// Regenerates tests/data/pki and tests/data/attacks: the committed attack corpus.
//   build/tests/data/make_attack_corpus tests/data ops/samples/stage.xml
// Every attack starts from the sample stage notification signed by a valid provider
// certificate and changes it the way the attack does. MANIFEST.tsv lists each file with
// the code the verifier must return and what the attack is.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "stagegate/signing/pki.h"
#include "stagegate/signing/signer.h"

using namespace stagegate::signing;
using namespace std::chrono;
namespace fs = std::filesystem;

namespace {

constexpr auto kYear = hours(24 * 366);

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error("attack template lost: no " + from);
  return text.replace(at, from.size(), to);
}

std::string between(const std::string& text, const std::string& open, const std::string& close) {
  const auto start = text.find(open);
  const auto end = text.find(close, start);
  if (start == std::string::npos || end == std::string::npos) throw std::runtime_error("no " + open);
  return text.substr(start, end + close.size() - start);
}

std::string signed_with(const std::string& document, const IssuedFiles& files, SignOptions options = {}) {
  auto result = sign_enveloped(document, files.private_key, files.certificate, options);
  if (!result) throw std::runtime_error("signing failed: " + result.refusal().reason);
  return result.value();
}

CertificateRequest provider(const std::string& bin, system_clock::time_point from, system_clock::time_point to) {
  CertificateRequest request;
  request.common_name = "Test Provider Signer";
  request.organization_bin = bin;
  request.person_iin = "880501300451";
  request.not_before = from;
  request.not_after = to;
  return request;
}

system_clock::time_point new_year(int y) { return sys_days(std::chrono::year(y) / January / 1); }

class Corpus {
 public:
  explicit Corpus(fs::path dir) : dir_(std::move(dir)) { fs::create_directories(dir_); }
  void add(const std::string& file, const std::string& code, const std::string& what, const std::string& document) {
    std::ofstream(dir_ / file, std::ios::binary) << document;
    manifest_ << file << '\t' << code << '\t' << what << '\n';
  }
  void note(const std::string& file, const std::string& code, const std::string& what) {
    manifest_ << file << '\t' << code << '\t' << what << '\n';
  }
  ~Corpus() {
    std::ofstream(dir_ / "MANIFEST.tsv")
        << "# file\texpected verifier result\tattack (regenerate: make_attack_corpus tests/data ops/samples/stage.xml)\n"
        << manifest_.str();
  }

 private:
  fs::path dir_;
  std::ostringstream manifest_;
};

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 3) {
    std::cerr << "usage: make_attack_corpus DATA_DIR SAMPLE_STAGE_XML\n";
    return 2;
  }
  const fs::path data = argv[1];
  const auto sample = read(argv[2]);
  const auto now = system_clock::now();
  const auto pki_dir = data / "pki";
  fs::remove_all(pki_dir);
  const auto pki = Pki::open_or_create(pki_dir, "stagegate test CA", 25 * kYear);
  const auto valid = pki.issue("provider", provider("050140001238", now - hours(1), now + 20 * kYear));
  const auto other_bin = pki.issue("other-provider", provider("990340000017", now - hours(1), now + 20 * kYear));
  const auto expired = pki.issue("expired", provider("050140001238", now - 2 * kYear, now - kYear));
  const auto not_yet = pki.issue("not-yet-valid", provider("050140001238", new_year(2090), new_year(2095)));
  const auto revoked = pki.issue("revoked", provider("050140001238", now - hours(1), now + 20 * kYear));
  auto no_signing_request = provider("050140001238", now - hours(1), now + 20 * kYear);
  no_signing_request.digital_signature = false;
  const auto no_signing = pki.issue("no-digital-signature", no_signing_request);
  const auto self_signed =
      Pki::issue_self_signed(pki_dir, "self-signed", provider("050140001238", now - hours(1), now + 20 * kYear));
  const auto other_ca = Pki::open_or_create(pki_dir / "untrusted-ca", "not a trusted CA", 25 * kYear);
  const auto stranger = other_ca.issue("stranger", provider("050140001238", now - hours(1), now + 20 * kYear));
  const auto crl = pki.revoke({revoked.certificate}, "ca", 20 * kYear);

  const auto good = signed_with(sample, valid);
  const auto good_by_id = signed_with(sample, valid, {.reference_root_by_id = true});
  const auto signature = between(good, "<ds:Signature", "</ds:Signature>");
  const auto signature_by_id = between(good_by_id, "<ds:Signature", "</ds:Signature>");
  const auto body_by_id = replaced(good_by_id, signature_by_id, "");

  Corpus corpus(data / "attacks");
  corpus.add("valid.xml", "OK", "control: the sample signed as CONTRACT.md section 4 says (URI=\"\")", good);
  corpus.add("valid-by-id.xml", "OK", "control: Reference URI=\"#stage-1\", the root's Id", good_by_id);

  corpus.add("tampered-digest.xml", "SIGNATURE_INVALID", "DigestValue changed",
             replaced(good, "<ds:DigestValue>", "<ds:DigestValue>AAAA"));
  {
    auto changed = good;
    const auto at = changed.find("<ds:SignatureValue>") + std::string("<ds:SignatureValue>").size() + 10;
    changed[at] = changed[at] == 'A' ? 'B' : 'A';
    corpus.add("tampered-signature-value.xml", "SIGNATURE_INVALID", "one character of SignatureValue changed", changed);
  }
  corpus.add("tampered-content.xml", "SIGNATURE_INVALID", "stage code changed after signing",
             replaced(good, "<stage code=\"2\"", "<stage code=\"6\""));

  // Signature wrapping (XSW): the signed element stays intact somewhere while the verifier
  // or a careless reader is made to look at other content.
  corpus.add("wrap-root-moved-under-wrapper.xml", "SIGNATURE_INVALID",
             "XSW: signed root moved under a new root element",
             replaced(replaced(good, "<StageNotification ", "<Wrapper xmlns=\"urn:evil\"><StageNotification "),
                      "</StageNotification>", "</StageNotification></Wrapper>"));
  corpus.add("wrap-duplicate-id.xml", "SIGNATURE_INVALID",
             "XSW: a second element carries the referenced Id (URI=\"#stage-1\")",
             replaced(good_by_id, "<applicationId>", "<note Id=\"stage-1\">forged</note><applicationId>"));
  corpus.add("wrap-reference-to-sibling.xml", "SIGNATURE_INVALID",
             "XSW: the reference names a child element instead of the root",
             replaced(replaced(good_by_id, "URI=\"#stage-1\"", "URI=\"#part\""), "<applicationId>",
                      "<applicationId Id=\"part\">"));
  {
    // The forged root keeps the signature, whose reference names the original, now inside
    // a ds:Object where a verifier that resolves Ids anywhere would find and accept it.
    const auto original = body_by_id.substr(body_by_id.find("<StageNotification"));
    auto forged = replaced(replaced(body_by_id, "Id=\"stage-1\"", "Id=\"forged\""), "<stage code=\"2\"", "<stage code=\"6\"");
    const auto hidden = replaced(signature_by_id, "</ds:Signature>", "<ds:Object>" + original + "</ds:Object></ds:Signature>");
    corpus.add("wrap-signed-copy-in-object.xml", "SIGNATURE_INVALID",
               "XSW: forged root, the signed original hidden in ds:Object under the signature",
               replaced(forged, "</StageNotification>", hidden + "</StageNotification>"));
  }
  corpus.add("wrap-unsigned-copy-before-signed.xml", "SIGNATURE_INVALID",
             "XSW: an unsigned copy of a field placed before the signed one (first-match readers take it)",
             replaced(good, "<applicationId>", "<applicationId>999999999999</applicationId>\n  <applicationId>"));
  corpus.add("wrap-second-unsigned-signature.xml", "SIGNATURE_INVALID",
             "XSW: a second, unsigned ds:Signature next to the real one",
             replaced(good, "</StageNotification>",
                      replaced(signature, "<ds:DigestValue>", "<ds:DigestValue>AAAA") + "</StageNotification>"));
  corpus.add("wrap-namespace-redefinition.xml", "SIGNATURE_INVALID",
             "XSW: the ds prefix rebound to another namespace, so the signature is not an XML-DSig one",
             replaced(good, "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"", "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#evil\""));
  corpus.add("wrap-default-namespace-redefinition.xml", "SIGNATURE_INVALID",
             "XSW: a child redefines the default namespace so a namespace-blind reader sees other elements",
             replaced(good, "<recipient>", "<recipient xmlns=\"urn:evil\">"));
  corpus.add("comment-injected.xml", "SIGNATURE_INVALID",
             "a comment injected into signed text (c14n without comments would not cover it)",
             replaced(good, "<applicationId>002145", "<applicationId>002145<!--x-->"));

  corpus.add("key-only-in-keyvalue.xml", "SIGNATURE_INVALID",
             "no certificate: only an RSAKeyValue the attacker controls",
             replaced(good, between(good, "<ds:KeyInfo>", "</ds:KeyInfo>"),
                      "<ds:KeyInfo><ds:KeyValue><ds:RSAKeyValue><ds:Modulus>AQAB</ds:Modulus><ds:Exponent>AQAB</ds:Exponent>"
                      "</ds:RSAKeyValue></ds:KeyValue></ds:KeyInfo>"));
  corpus.add("self-signed.xml", "SIGNER_UNTRUSTED", "certificate signed by its own key", signed_with(sample, self_signed));
  corpus.add("expired.xml", "SIGNER_UNTRUSTED", "certificate expired a year ago", signed_with(sample, expired));
  corpus.add("not-yet-valid.xml", "SIGNER_UNTRUSTED", "certificate valid from 2090", signed_with(sample, not_yet));
  corpus.add("revoked.xml", "SIGNER_UNTRUSTED", "certificate listed in pki/ca.crl.pem", signed_with(sample, revoked));
  corpus.add("wrong-key-usage.xml", "SIGNER_UNTRUSTED", "keyUsage without digitalSignature",
             signed_with(sample, no_signing));
  corpus.add("untrusted-ca.xml", "SIGNER_UNTRUSTED", "certificate from a CA that is not a trust anchor",
             signed_with(sample, stranger));
  corpus.add("other-provider-bin.xml", "OK",
             "valid signature by another provider (OU=BIN990340000017): the gateway refuses SIGNER_NOT_AUTHORIZED "
             "for a sender registered with BIN 050140001238 (tests/integration)",
             signed_with(sample, other_bin));
  corpus.add("rsa-sha1.xml", "SIGNATURE_INVALID", "SignatureMethod rsa-sha1",
             replaced(good, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2000/09/xmldsig#rsa-sha1"));
  corpus.add("hmac.xml", "SIGNATURE_INVALID", "SignatureMethod hmac-sha256 (a key anyone can choose)",
             replaced(good, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"));
  corpus.add("doctype-external-entity.xml", "MALFORMED", "DOCTYPE with an external entity (XXE)",
             replaced(good, "<StageNotification ",
                      "<!DOCTYPE StageNotification [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<StageNotification "));
  {
    std::string bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n  <!ENTITY lol \"lol\">\n";
    std::string previous = "lol";
    for (int level = 1; level <= 9; ++level) {
      const auto name = "lol" + std::to_string(level);
      bomb += "  <!ENTITY " + name + " \"";
      for (int i = 0; i < 10; ++i) bomb += "&" + previous + ";";
      bomb += "\">\n";
      previous = name;
    }
    bomb += "]>\n<lolz>&" + previous + ";</lolz>\n";
    corpus.add("entity-expansion-bomb.xml", "MALFORMED", "billion laughs: 10^9 expansions of nested entities", bomb);
  }
  corpus.note("(generated) 10 MB document", "MALFORMED", "size limit; built by the test, not stored");
  corpus.note("(generated) 10 000-deep nesting", "MALFORMED", "depth limit; built by the test, not stored");
  std::cout << "wrote " << (data / "attacks").string() << " and " << pki_dir.string() << " (CRL " << crl.string() << ")\n";
  return 0;
} catch (const std::exception& error) {
  std::cerr << "make_attack_corpus: " << error.what() << '\n';
  return 1;
}
