#include "certificate_identity.h"

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "handles.h"

namespace stagegate::signing {
namespace {

std::string entry_with_prefix(X509_NAME* name, int nid, std::string_view prefix) {
  for (int index = -1; (index = X509_NAME_get_index_by_NID(name, nid, index)) >= 0;) {
    const auto* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    const std::string_view value(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                                 static_cast<std::size_t>(ASN1_STRING_length(data)));
    if (value.size() == prefix.size() + 12 && value.substr(0, prefix.size()) == prefix &&
        value.find_first_not_of("0123456789", prefix.size()) == std::string_view::npos)
      return std::string(value.substr(prefix.size()));
  }
  return {};
}

}  // namespace

std::string rfc2253(X509_NAME* name) {
  Bio bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::chrono::system_clock::time_point time_of(const ASN1_TIME* time) {
  std::tm parts{};
  if (!time || ASN1_TIME_to_tm(time, &parts) != 1) return {};
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

SignerIdentity identity_of(X509* certificate) {
  SignerIdentity identity;
  X509_NAME* subject = X509_get_subject_name(certificate);
  identity.subject = rfc2253(subject);
  identity.organization_bin = entry_with_prefix(subject, NID_organizationalUnitName, "BIN");
  identity.person_iin = entry_with_prefix(subject, NID_serialNumber, "IIN");
  identity.not_after = time_of(X509_get0_notAfter(certificate));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(certificate, EVP_sha256(), digest, &length);
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < length; ++i) {
    identity.fingerprint_sha256 += kHex[digest[i] >> 4];
    identity.fingerprint_sha256 += kHex[digest[i] & 0xF];
  }
  return identity;
}

bool may_sign(X509* certificate) {
  const auto usage = X509_get_key_usage(certificate);  // UINT32_MAX when the extension is absent
  return (usage & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) != 0;
}

}  // namespace stagegate::signing
