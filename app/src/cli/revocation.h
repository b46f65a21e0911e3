#pragma once
// --crl and --no-revocation-check, shared by `serve` and `verify`.
#include <filesystem>

#include "cli/arguments.h"
#include "stagegate/signing/verifier.h"

namespace stagegate::cli {

// Fills trust.crls and trust.check_revocation from the options. Revocation checking stays on
// unless --no-revocation-check is given (which then excludes --crl and prints a warning);
// without --crl, `development_crl` (when not empty) is used, so the dev PKI works as is.
signing::TrustConfig revocation_options(const Arguments& args, signing::TrustConfig trust,
                                        const std::filesystem::path& development_crl = {});

}  // namespace stagegate::cli
