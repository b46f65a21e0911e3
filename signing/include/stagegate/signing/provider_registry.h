#pragma once
// The provider registry: who may send, with which password, for which BIN and serviceIds.
// File format (one provider a line, '#' comments), fields separated by whitespace:
//   <senderId> <bin> <password-hash> <serviceId>[,<serviceId>...] [tls-sha256=<hex>[,<hex>...]] [tls-subject=<dn>]
// where <password-hash> is pbkdf2-sha256$<iterations>$<salt-hex>$<hash-hex>.
// The optional fields bind the sender to its TLS client certificate (with client-certificate
// TLS): tls-sha256 lists the SHA-256 fingerprints of the DER certificates it may use (several
// for rotation; hex, colons allowed), tls-subject the certificate's RFC 2253 subject with
// spaces (and '%') written %20 (%25). A bound sender whose request comes without a verified
// client certificate, or with another one, is SENDER_AUTH.
// Copies share the memory of passwords already accepted (so a copy is as fast as the original).
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stagegate/core/message.h"
#include "stagegate/core/result.h"

namespace stagegate::signing {

struct Provider {
  std::string sender_id;
  std::string bin;
  std::vector<std::string> services;
  std::vector<std::string> tls_fingerprints = {};  // lowercase hex, no colons; empty: not bound by fingerprint
  std::string tls_subject = {};                // RFC 2253; empty: not bound by subject
};

// SENDER_AUTH when the provider is bound to a client certificate and the request came without
// one or with another one.
Status check_client_certificate(const Provider& provider, const std::optional<ClientCertificate>& presented);

class ProviderRegistry {
 public:
  // Throws std::runtime_error naming the file and line when the file cannot be read or parsed.
  static ProviderRegistry load(const std::filesystem::path& file);
  static ProviderRegistry from_providers(std::vector<std::pair<Provider, std::string>> providers_with_hash);

  // SENDER_AUTH for an unknown sender or a wrong password (same reason text for both).
  Result<Provider> authenticate(std::string_view sender_id, std::string_view password) const;

  // A fresh salted hash in the file's format.
  static std::string hash_password(std::string_view password);
  // One registry line for the given provider and password.
  static std::string format_line(const Provider& provider, std::string_view password);

 private:
  ProviderRegistry();
  struct AcceptedPasswords;
  // A provider with its password hash's fields (pbkdf2-sha256$<iterations>$<salt>$<hash>),
  // read once rather than on every request.
  struct Entry {
    Provider provider;
    int iterations = 0;
    std::string salt;
    std::string hash;
  };
  static Entry entry_for(Provider provider, std::string_view password_hash);
  std::vector<Entry> entries_;
  std::shared_ptr<AcceptedPasswords> accepted_;
};

}  // namespace stagegate::signing
