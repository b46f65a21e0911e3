#pragma once
// The reference digest and the signature value of a document that passed
// check_signature_shape, checked directly: c14n of the root without the Signature (what the
// enveloped-signature transform leaves; exclusive c14n by our own writer, exclusive_c14n.h,
// which libxml2's xmlC14NExecute backs up), one digest, c14n of SignedInfo, one
// EVP_DigestVerify with the validated certificate's key. The profile fixes everything
// xmlsec's generic transform engine would otherwise discover node by node, and that engine
// (node sets, transform chains, key matching) cost more than the cryptography.
//
// It decides only what it can decide exactly as xmlsec would: a document it accepts is one
// xmlsec accepts, with the same canonical bytes, and its two refusals are xmlsec's two
// verdicts (digest, then signature value). Anything else that is odd (unexpected elements
// in a c14n algorithm, base64 that is not plain, a key that does not fit the method, a c14n
// error) is Undecided, and the caller asks xmlsec, so those reasons stay word for word.
#include <libxml/tree.h>

#include <optional>
#include <string>
#include <variant>

#include "signature_shape.h"
#include "stagegate/core/result.h"
#include "trust_store.h"

namespace stagegate::signing {

struct CanonicalBytes {
  std::string xml;  // exactly the bytes the reference digest covers
};

struct Undecided {
  std::string why;  // for tests and debugging; never shown to a sender
};

using DirectVerdict = std::variant<CanonicalBytes, Refusal, Undecided>;

// Fills signer.verify_templates from signer.public_key (left empty when OpenSSL refuses,
// then each verification initialises its own context).
void prepare_verify_templates(TrustedSigner& signer);

// `doc` is only read; links of its nodes may be rewired while libxml2's c14n runs and are
// restored before the call returns, so the document must not be shared with another thread
// meanwhile.
DirectVerdict verify_directly(xmlDocPtr doc, const SignatureShape& shape, const TrustedSigner& signer);

// Who writes the two canonical forms: our exclusive c14n (exclusive_c14n.h) where it applies
// and does not decline, else libxml2 (libxml2_c14n.h), as verify_directly does; or only one
// of them, for the differential tests and the fuzz targets.
enum class C14nEngine { ours_else_libxml2, ours, libxml2 };

struct CanonicalForms {
  std::optional<std::string> reference;    // what the reference digest covers
  std::optional<std::string> signed_info;  // what the signature value signs
};

// Each form is empty where the c14n parameters are outside the profile, c14n fails, or (for
// C14nEngine::ours) our writer does not apply or declines.
CanonicalForms canonical_forms(xmlDocPtr doc, const SignatureShape& shape, C14nEngine engine);

}  // namespace stagegate::signing
