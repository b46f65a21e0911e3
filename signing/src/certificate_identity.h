#pragma once
#include <openssl/x509.h>

#include <string>

#include "stagegate/signing/verifier.h"

namespace stagegate::signing {

// Subject (RFC 2253), OU=BIN<12 digits>, SERIALNUMBER=IIN<12 digits>, SHA-256 fingerprint.
SignerIdentity identity_of(X509* certificate);
// keyUsage allows digitalSignature or nonRepudiation (or the extension is absent).
bool may_sign(X509* certificate);

}  // namespace stagegate::signing
