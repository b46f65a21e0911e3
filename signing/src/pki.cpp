#include "stagegate/signing/pki.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <stdexcept>

#include "handles.h"
#include "pem.h"

namespace stagegate::signing {
namespace {

PKey generate_key(CertificateRequest::KeyType type) {
  PKey key(type == CertificateRequest::KeyType::EcP256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048));
  if (!key) throw std::runtime_error("key generation failed");
  return key;
}

void add_entry(X509_NAME* name, const char* field, const std::string& value) {
  if (value.empty()) return;
  if (!X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value.c_str()),
                                  -1, -1, 0))
    throw std::runtime_error(std::string("cannot set subject ") + field);
}

void add_extension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, certificate, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>> extension(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!extension || !X509_add_ext(certificate, extension.get(), -1))
    throw std::runtime_error(std::string("cannot add extension ") + value);
}

void set_random_serial(X509* certificate) {
  std::unique_ptr<BIGNUM, Deleter<BN_free>> serial(BN_new());
  BN_rand(serial.get(), 120, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate));
}

// A certificate for `subject_key`, signed by `issuer_key` (issuer == nullptr: self-signed).
Cert build_certificate(const CertificateRequest& request, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key,
                       bool certificate_authority) {
  Cert certificate(X509_new());
  X509_set_version(certificate.get(), 2);
  set_random_serial(certificate.get());
  ASN1_TIME_set(X509_getm_notBefore(certificate.get()), std::chrono::system_clock::to_time_t(request.not_before));
  ASN1_TIME_set(X509_getm_notAfter(certificate.get()), std::chrono::system_clock::to_time_t(request.not_after));
  X509_NAME* name = X509_get_subject_name(certificate.get());
  add_entry(name, "C", "KZ");
  add_entry(name, "CN", request.common_name);
  if (!request.person_iin.empty()) add_entry(name, "serialNumber", "IIN" + request.person_iin);
  if (!request.organization_bin.empty()) add_entry(name, "OU", "BIN" + request.organization_bin);
  X509_set_issuer_name(certificate.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(certificate.get(), subject_key);
  X509* signer = issuer ? issuer : certificate.get();
  if (certificate_authority) {
    add_extension(certificate.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(certificate.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(certificate.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(certificate.get(), signer, NID_key_usage,
                  request.digital_signature ? "critical,digitalSignature,nonRepudiation" : "critical,keyEncipherment");
  }
  add_extension(certificate.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer) add_extension(certificate.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (!X509_sign(certificate.get(), issuer_key, EVP_sha256())) throw std::runtime_error("certificate signing failed");
  return certificate;
}

}  // namespace

struct Pki::Impl {
  std::filesystem::path dir;
  std::filesystem::path ca_file;
  PKey ca_key;
  Cert ca;
};

Pki Pki::open_or_create(const std::filesystem::path& dir, const std::string& ca_name, std::chrono::hours ca_lifetime) {
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->ca_file = dir / "ca.pem";
  std::filesystem::create_directories(dir);
  const auto key_file = dir / "ca.key";
  if (std::filesystem::exists(key_file) && std::filesystem::exists(impl->ca_file)) {
    impl->ca_key = read_private_key(key_file);
    impl->ca = read_certificate(impl->ca_file);
  } else {
    CertificateRequest request;
    request.common_name = ca_name;
    request.not_after = std::chrono::system_clock::now() + ca_lifetime;
    impl->ca_key = generate_key(CertificateRequest::KeyType::Rsa2048);
    impl->ca = build_certificate(request, impl->ca_key.get(), nullptr, impl->ca_key.get(), true);
    write_private_key(key_file, impl->ca_key.get());
    write_certificate(impl->ca_file, impl->ca.get());
  }
  return Pki(std::move(impl));
}

Pki::Pki(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pki::~Pki() = default;
Pki::Pki(Pki&&) noexcept = default;
Pki& Pki::operator=(Pki&&) noexcept = default;

const std::filesystem::path& Pki::ca_certificate() const { return impl_->ca_file; }

IssuedFiles Pki::issue(const std::string& file_stem, const CertificateRequest& request) const {
  const auto key = generate_key(request.key_type);
  const auto certificate = build_certificate(request, key.get(), impl_->ca.get(), impl_->ca_key.get(), false);
  IssuedFiles files{impl_->dir / (file_stem + ".key"), impl_->dir / (file_stem + ".pem")};
  write_private_key(files.private_key, key.get());
  write_certificate(files.certificate, certificate.get());
  return files;
}

IssuedFiles Pki::issue_self_signed(const std::filesystem::path& dir, const std::string& file_stem,
                                   const CertificateRequest& request) {
  std::filesystem::create_directories(dir);
  const auto key = generate_key(request.key_type);
  const auto certificate = build_certificate(request, key.get(), nullptr, key.get(), false);
  IssuedFiles files{dir / (file_stem + ".key"), dir / (file_stem + ".pem")};
  write_private_key(files.private_key, key.get());
  write_certificate(files.certificate, certificate.get());
  return files;
}

Pki Pki::issue_authority(const std::filesystem::path& dir, const std::string& ca_name) const {
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->ca_file = dir / "ca.pem";
  std::filesystem::create_directories(dir);
  const auto key_file = dir / "ca.key";
  if (std::filesystem::exists(key_file) && std::filesystem::exists(impl->ca_file)) {
    impl->ca_key = read_private_key(key_file);
    impl->ca = read_certificate(impl->ca_file);
  } else {
    CertificateRequest request;
    request.common_name = ca_name;
    request.not_after = std::chrono::system_clock::now() + std::chrono::hours(24 * 365 * 5);
    impl->ca_key = generate_key(CertificateRequest::KeyType::Rsa2048);
    impl->ca = build_certificate(request, impl->ca_key.get(), impl_->ca.get(), impl_->ca_key.get(), true);
    write_private_key(key_file, impl->ca_key.get());
    write_certificate(impl->ca_file, impl->ca.get());
  }
  return Pki(std::move(impl));
}

std::filesystem::path Pki::revoke(const std::vector<std::filesystem::path>& certificates, const std::string& crl_file_stem,
                                  std::chrono::seconds next_update_in) const {
  Crl crl(X509_CRL_new());
  X509_CRL_set_version(crl.get(), 1);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(impl_->ca.get()));
  const auto now = std::time(nullptr);
  const auto next_update = now + next_update_in.count();
  // lastUpdate must not come after nextUpdate, even for a CRL made already expired.
  const auto last_update = std::min(now - 60, next_update - 60);
  std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME_free>> last(ASN1_TIME_set(nullptr, last_update));
  std::unique_ptr<ASN1_TIME, Deleter<ASN1_TIME_free>> next(ASN1_TIME_set(nullptr, next_update));
  X509_CRL_set1_lastUpdate(crl.get(), last.get());
  X509_CRL_set1_nextUpdate(crl.get(), next.get());
  for (const auto& file : certificates) {
    const auto certificate = read_certificate(file);
    X509_REVOKED* revoked = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(revoked, X509_get_serialNumber(certificate.get()));
    X509_REVOKED_set_revocationDate(revoked, last.get());
    X509_CRL_add0_revoked(crl.get(), revoked);
  }
  X509_CRL_sort(crl.get());
  if (!X509_CRL_sign(crl.get(), impl_->ca_key.get(), EVP_sha256())) throw std::runtime_error("CRL signing failed");
  const auto file = impl_->dir / (crl_file_stem + ".crl.pem");
  write_crl(file, crl.get());
  return file;
}

std::optional<std::chrono::system_clock::time_point> Pki::next_update_of(const std::filesystem::path& crl) {
  const auto crls = read_crls(crl);
  const ASN1_TIME* next_update = X509_CRL_get0_nextUpdate(crls.front().get());
  if (!next_update) return std::nullopt;
  std::tm parts{};
  if (ASN1_TIME_to_tm(next_update, &parts) != 1) throw std::runtime_error("unreadable nextUpdate in " + crl.string());
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

}  // namespace stagegate::signing
