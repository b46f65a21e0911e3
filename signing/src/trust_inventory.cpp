#include "stagegate/signing/trust_inventory.h"

#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <stdexcept>

#include "certificate_identity.h"
#include "pem.h"

namespace stagegate::signing {

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
