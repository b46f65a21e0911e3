#include "stagegate/signing/trust_inventory.h"

#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <stdexcept>

#include "pem.h"

namespace stagegate::signing {
namespace {

std::chrono::system_clock::time_point time_of(const ASN1_TIME* time) {
  std::tm parts{};
  if (!time || ASN1_TIME_to_tm(time, &parts) != 1) return {};
  return std::chrono::system_clock::from_time_t(timegm(&parts));
}

std::string rfc2253(const X509_NAME* name) {
  const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio) return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

std::vector<TrustItem> trust_inventory(const TrustConfig& config) {
  std::vector<TrustItem> items;
  const auto files_at = [](const std::filesystem::path& path) {
    try {
      return pem_files_at(path, true);
    } catch (const std::exception&) {
      return std::vector<std::filesystem::path>{};
    }
  };
  for (const auto& anchor : config.anchors)
    for (const auto& file : files_at(anchor)) {
      try {
        for (const auto& certificate : read_certificates(file))
          items.push_back({TrustItem::Kind::Anchor, rfc2253(X509_get_subject_name(certificate.get())), file.string(),
                           time_of(X509_get0_notAfter(certificate.get()))});
      } catch (const std::exception&) {
      }
    }
  for (const auto& crl_path : config.crls)
    for (const auto& file : files_at(crl_path)) {
      try {
        for (const auto& crl : read_crls(file))
          items.push_back({TrustItem::Kind::Crl, rfc2253(X509_CRL_get_issuer(crl.get())), file.string(),
                           time_of(X509_CRL_get0_nextUpdate(crl.get()))});
      } catch (const std::exception&) {
      }
    }
  return items;
}

}  // namespace stagegate::signing
