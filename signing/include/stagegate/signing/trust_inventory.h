#pragma once
// What the gateway trusts and until when: every anchor certificate's notAfter and every CRL's
// nextUpdate, for operators' metrics and readiness (an anchor or CRL running out stops every
// signer under it).
#include <chrono>
#include <string>
#include <vector>

#include "stagegate/signing/verifier.h"

namespace stagegate::signing {

struct TrustItem {
  enum class Kind { Anchor, Crl } kind = Kind::Anchor;
  std::string name;  // the anchor's subject, or the CRL issuer's (RFC 2253)
  std::string file;
  std::chrono::system_clock::time_point expires;  // notAfter, or nextUpdate
};

// Reads the files the configuration names (as the verifier does); an unreadable file is
// skipped, the verifier having refused it already.
std::vector<TrustItem> trust_inventory(const TrustConfig& config);

}  // namespace stagegate::signing
