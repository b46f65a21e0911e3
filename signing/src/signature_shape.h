#pragma once
// CONTRACT.md section 4 checked on the parsed document before xmlsec runs: exactly one
// ds:Signature, a child of the root; one Reference to the root; enveloped + one c14n; the
// allowed algorithms; keys only as X509Data/X509Certificate.
#include <libxml/tree.h>

#include <string>
#include <vector>

#include "stagegate/core/result.h"

namespace stagegate::signing {

// One of the allowed canonicalizations, with the element that names it (CanonicalizationMethod
// or the Reference's second Transform: an exclusive one may carry InclusiveNamespaces).
struct Canonicalization {
  xmlNodePtr element = nullptr;
  bool exclusive = false;
  bool with_comments = false;
};

enum class DigestAlgorithm { sha256, sha384, sha512 };

// The nodes and algorithms the profile fixes, so the direct verification path
// (direct_verification.h) reads them without searching the tree again.
struct SignatureShape {
  xmlNodePtr signature = nullptr;
  xmlNodePtr signed_info = nullptr;
  xmlNodePtr signature_value = nullptr;
  xmlNodePtr digest_value = nullptr;
  Canonicalization signed_info_c14n;
  Canonicalization reference_c14n;
  bool ecdsa = false;                                   // else RSA PKCS#1 v1.5
  DigestAlgorithm signature_digest = DigestAlgorithm::sha256;  // of the SignatureMethod
  DigestAlgorithm reference_digest = DigestAlgorithm::sha256;  // the DigestMethod
  bool reference_by_id = false;                         // URI="#<root Id>", else URI=""
  std::vector<std::string> certificates_base64;  // the first is the signer's
};

// SIGNATURE_INVALID naming what breaks the profile. Registers the root's Id when referenced.
Result<SignatureShape> check_signature_shape(xmlDocPtr doc);

}  // namespace stagegate::signing
