#pragma once
// Verifies the enveloped XML signature of a business document (CONTRACT.md section 4).
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "stagegate/core/result.h"

namespace stagegate::signing {

struct TrustConfig {
  // PEM files, or directories of them, of trusted CA certificates: roots and the
  // intermediates under them. Signers may also send intermediates in X509Data.
  std::vector<std::filesystem::path> anchors;
  // PEM CRLs (files or directories of them).
  std::vector<std::filesystem::path> crls;
  // Revocation fails closed: every certificate of a signer's chain, up to and including the
  // anchors, must be covered by a current CRL of its issuer. Loading refuses (throws) unless
  // every CA among the anchors has a CRL it signed here; a CRL past its nextUpdate makes the
  // signers under that CA SIGNER_UNTRUSTED until a fresh one is loaded.
  // false: no revocation checking at all (development only); then `crls` must be empty.
  bool check_revocation = true;
};


// Who signed, read from the verified certificate.
struct SignerIdentity {
  std::string subject;             // RFC 2253 form
  std::string organization_bin;    // from OU=BIN<12 digits>, empty when absent
  std::string person_iin;          // from SERIALNUMBER=IIN<12 digits>, empty when absent
  std::string fingerprint_sha256;  // hex of the DER certificate
  std::chrono::system_clock::time_point not_after;
};

struct VerifiedDocument {
  // Exactly the bytes that the reference digest covered (the canonical form, signature
  // removed by the enveloped transform). Normalization reads these and nothing else.
  std::string canonical_xml;
  SignerIdentity signer;
};

// Limits applied before any parser sees the bytes.
struct DocumentLimits {
  std::size_t max_bytes = 1 << 20;
  std::size_t max_depth = 64;
};

class Verifier {
 public:
  // Throws std::runtime_error when the trust configuration cannot be loaded, including when
  // revocation checking is on and a CA among the anchors has no CRL.
  static Verifier create(const TrustConfig& trust, DocumentLimits limits = {});
  ~Verifier();
  Verifier(Verifier&&) noexcept;
  Verifier& operator=(Verifier&&) noexcept;

  // MALFORMED, SIGNATURE_INVALID or SIGNER_UNTRUSTED on refusal. Thread-safe.
  // The digest and signature value are checked directly (libxml2 c14n + OpenSSL) for the
  // profile the policy admits; the rare document outside it goes through xmlsec's engine.
  Result<VerifiedDocument> verify(std::string_view document) const;

  // The same policy with xmlsec's generic engine doing the digest and signature checks every
  // time (what verify() did before the direct path). The reference verify() is tested
  // against, and the benchmark's baseline; same results, slower.
  Result<VerifiedDocument> verify_with_xmlsec(std::string_view document) const;

 private:
  struct Impl;
  explicit Verifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::signing
