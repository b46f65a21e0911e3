#pragma once
// Produces the enveloped signature providers attach (CONTRACT.md section 4):
// Reference URI="", enveloped-signature + exclusive c14n, rsa-sha256 or ecdsa-sha256 (by key),
// sha256 digest, KeyInfo/X509Data/X509Certificate.
#include <filesystem>
#include <string>
#include <string_view>

#include "stagegate/core/result.h"

namespace stagegate::signing {

struct SignOptions {
  // Reference URI="#<Id of the root>" instead of URI="" (CONTRACT.md allows both); the root
  // must carry an Id attribute.
  bool reference_root_by_id = false;
};

// Refuses with MALFORMED when the document is not well-formed, INTERNAL when the key or
// certificate cannot be used. Any existing ds:Signature under the root is left in place.
Result<std::string> sign_enveloped(std::string_view document,
                                   const std::filesystem::path& private_key_pem,
                                   const std::filesystem::path& certificate_pem, SignOptions options = {});

}  // namespace stagegate::signing
