#pragma once
#include <chrono>
#include <openssl/x509.h>

#include <string>

#include "stagegate/signing/verifier.h"

namespace stagegate::signing {

// Subject (RFC 2253), OU=BIN<12 digits>, SERIALNUMBER=IIN<12 digits>, SHA-256 fingerprint.
SignerIdentity identity_of(X509* certificate);
// A name in RFC 2253 form, and an ASN.1 time as a time point (the epoch when unreadable).
std::string rfc2253(X509_NAME* name);
std::chrono::system_clock::time_point time_of(const ASN1_TIME* time);
// keyUsage allows digitalSignature or nonRepudiation (or the extension is absent).
bool may_sign(X509* certificate);

}  // namespace stagegate::signing
