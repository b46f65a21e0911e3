#include "cli/revocation.h"

#include <iostream>
#include <stdexcept>

namespace stagegate::cli {

signing::TrustConfig revocation_options(const Arguments& args, signing::TrustConfig trust,
                                        const std::filesystem::path& development_crl) {
  for (const auto& crl : args.all("crl")) trust.crls.emplace_back(crl);
  if (args.has("no-revocation-check")) {
    if (!trust.crls.empty()) throw UsageError("--no-revocation-check and --crl exclude each other");
    trust.check_revocation = false;
    std::clog << "stagegate: WARNING: revocation checking is OFF (--no-revocation-check): signers whose "
                 "certificates were revoked are accepted. Never run like this with real providers.\n";
    return trust;
  }
  if (trust.crls.empty() && !development_crl.empty()) {
    if (!std::filesystem::exists(development_crl))
      throw std::runtime_error("no CRL: give the CAs' CRLs with --crl FILE|DIR (" + development_crl.string() +
                       " is made by `stagegate dev-setup`), or turn revocation checking off with --no-revocation-check");
    trust.crls.push_back(development_crl);
  }
  return trust;
}

}  // namespace stagegate::cli
