#pragma once
// CONTRACT.md section 4 checked on the parsed document before xmlsec runs: exactly one
// ds:Signature, a child of the root; one Reference to the root; enveloped + one c14n; the
// allowed algorithms; keys only as X509Data/X509Certificate.
#include <libxml/tree.h>

#include <string>
#include <vector>

#include "stagegate/core/result.h"

namespace stagegate::signing {

struct SignatureShape {
  xmlNodePtr signature = nullptr;
  std::vector<std::string> certificates_base64;  // the first is the signer's
};

// SIGNATURE_INVALID naming what breaks the profile. Registers the root's Id when referenced.
Result<SignatureShape> check_signature_shape(xmlDocPtr doc);

}  // namespace stagegate::signing
