#pragma once
// Trust anchors and CRLs, and the signer certificates already validated against them.
// Decoding and validating a certificate costs more than the RSA check itself, so a validated
// signer is kept by the SHA-256 of its DER bytes until it expires.
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
  SignerIdentity identity;
  std::time_t not_before = 0;
  std::time_t not_after = 0;
};

class TrustStore {
 public:
  explicit TrustStore(const TrustConfig& config);  // throws std::runtime_error

  // SIGNER_UNTRUSTED when the chain, validity, key usage or revocation fails;
  // SIGNATURE_INVALID when the certificate bytes are not a certificate.
  Result<std::shared_ptr<const TrustedSigner>> signer(const std::vector<std::string>& certificates_base64);

 private:
  Result<std::shared_ptr<const TrustedSigner>> validate(const std::vector<Cert>& chain);

  Store store_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<const TrustedSigner>> validated_;
};

}  // namespace stagegate::signing
