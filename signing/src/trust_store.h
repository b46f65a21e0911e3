#pragma once
// Trust anchors and CRLs, and the signer certificates already validated against them.
// Decoding and validating a certificate costs more than the RSA check itself, so a validated
// signer is kept by its certificate text (as sent, base64) until the first of: a certificate of
// its chain expires, or a CRL used to check that chain reaches its nextUpdate. The cache lives
// and dies with the store, so a reload (new CRLs) starts with an empty one.
#include <array>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "handles.h"
#include "stagegate/core/result.h"
#include "stagegate/signing/verifier.h"

namespace stagegate::signing {

struct TrustedSigner {
  SecKey key;  // public key as xmlsec wants it; duplicated for each verification
  // The same public key for the direct path (direct_verification.h): EVP_DigestVerify only
  // reads it, so threads share it.
  PKey public_key;
  // EC keys: bytes of r and of s in an XML-DSig ECDSA SignatureValue (r||s), the size of the
  // group order, as xmlsec counts it. 0 for RSA.
  std::size_t ecdsa_half_size = 0;
  // EVP_DigestVerifyInit done once per digest of the SignatureMethods (by DigestAlgorithm),
  // copied for each verification: the init looks the algorithms up in OpenSSL's provider
  // tables, a copy does not. Only read after construction, so threads share them.
  std::array<std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>, 3> verify_templates;
  SignerIdentity identity;
  std::time_t not_before = 0;
  // Reused from the cache while now < reuse_until: the earliest notAfter of the chain and
  // nextUpdate of the CRLs of its issuers.
  std::time_t reuse_until = 0;
};

class TrustStore {
 public:
  explicit TrustStore(const TrustConfig& config);  // throws std::runtime_error

  // SIGNER_UNTRUSTED when the chain, validity, key usage or revocation fails;
  // SIGNATURE_INVALID when the certificate bytes are not a certificate.
  Result<std::shared_ptr<const TrustedSigner>> signer(const std::vector<std::string>& certificates_base64);

 private:
  Result<std::shared_ptr<const TrustedSigner>> validate(const std::vector<Cert>& chain);
  void load_crls(const TrustConfig& config);
  void require_crl_for_every_authority(const TrustConfig& config) const;
  std::time_t reuse_limit(STACK_OF(X509) * verified_chain) const;

  Store store_;
  std::vector<Cert> anchors_;
  std::vector<Crl> crls_;
  std::mutex mutex_;
  // Keyed by the whole certificate text (a few KB each, at most 10 000 entries): an exact
  // match, and cheaper to look up than a SHA-256 of it.
  std::unordered_map<std::string, std::shared_ptr<const TrustedSigner>> validated_;
};

}  // namespace stagegate::signing
