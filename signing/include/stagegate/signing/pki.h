#pragma once
// A small PKI shaped like the national one (NUC RK): a CA and provider signing certificates
// whose subject carries OU=BIN<12 digits> and SERIALNUMBER=IIN<12 digits>.
// Used by `stagegate pki` for the development PKI under var/ and by the tests.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>
#include <string>

namespace stagegate::signing {

struct IssuedFiles {
  std::filesystem::path private_key;  // PEM, unencrypted
  std::filesystem::path certificate;  // PEM
};

struct CertificateRequest {
  std::string common_name;
  std::string organization_bin;  // 12 digits, becomes OU=BIN<bin>; empty for none
  std::string person_iin;        // 12 digits, becomes SERIALNUMBER=IIN<iin>; empty for none
  std::chrono::system_clock::time_point not_before = std::chrono::system_clock::now() - std::chrono::hours(1);
  std::chrono::system_clock::time_point not_after = std::chrono::system_clock::now() + std::chrono::hours(24 * 365);
  bool digital_signature = true;  // keyUsage digitalSignature (+nonRepudiation)
  enum class KeyType { Rsa2048, EcP256 } key_type = KeyType::Rsa2048;
};

class Pki {
 public:
  // Creates (or reuses, when present) <dir>/ca.key and <dir>/ca.pem. Throws on I/O failure.
  static Pki open_or_create(const std::filesystem::path& dir, const std::string& ca_name = "stagegate dev CA",
                            std::chrono::hours ca_lifetime = std::chrono::hours(24 * 365 * 10));
  ~Pki();
  Pki(Pki&&) noexcept;
  Pki& operator=(Pki&&) noexcept;

  const std::filesystem::path& ca_certificate() const;
  // Writes <dir>/<file_stem>.key and <dir>/<file_stem>.pem signed by this CA. Throws on failure.
  IssuedFiles issue(const std::string& file_stem, const CertificateRequest& request) const;
  // A certificate signed by nobody we trust (its own self-signed CA), for refusal tests.
  static IssuedFiles issue_self_signed(const std::filesystem::path& dir, const std::string& file_stem,
                                       const CertificateRequest& request);
  // A subordinate CA certified by this one, kept in `dir` as ca.key and ca.pem (reused when
  // present, like open_or_create), that issues certificates and CRLs the same way.
  Pki issue_authority(const std::filesystem::path& dir, const std::string& ca_name) const;
  // Writes <dir>/<crl_file_stem>.crl.pem, signed by this CA, revoking the given certificates
  // (leaves or subordinate CAs). A negative `next_update_in` makes a CRL that has already expired.
  std::filesystem::path revoke(const std::vector<std::filesystem::path>& certificates, const std::string& crl_file_stem,
                               std::chrono::seconds next_update_in = std::chrono::hours(24 * 7)) const;
  // The nextUpdate of the first CRL in a PEM file; nullopt when it has none. Throws when the
  // file holds no CRL.
  static std::optional<std::chrono::system_clock::time_point> next_update_of(const std::filesystem::path& crl);

 private:
  struct Impl;
  explicit Pki(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stagegate::signing
