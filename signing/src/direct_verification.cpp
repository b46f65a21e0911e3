#include "direct_verification.h"

#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>
#include <cstring>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "exclusive_c14n.h"
#include "handles.h"
#include "libxml2_c14n.h"

namespace stagegate::signing {
namespace {

constexpr std::string_view kExcC14n = "http://www.w3.org/2001/10/xml-exc-c14n#";

using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;

// Fetched once: EVP_sha256() and friends make OpenSSL 3 look the implementation up again on
// every use. Never freed; they live as long as the process, like OpenSSL's own tables.
const EVP_MD* digest_of(DigestAlgorithm algorithm) {
  static const std::array<EVP_MD*, 3> fetched{EVP_MD_fetch(nullptr, "SHA2-256", nullptr),
                                              EVP_MD_fetch(nullptr, "SHA2-384", nullptr),
                                              EVP_MD_fetch(nullptr, "SHA2-512", nullptr)};
  return fetched[static_cast<std::size_t>(algorithm)];
}

// An exclusive c14n's InclusiveNamespaces PrefixList, split as xmlsec splits it (on single
// spaces; an empty token means the default namespace to libxml2, as "#default" does).
struct Prefixes {
  std::vector<std::string> tokens;
  std::vector<xmlChar*> pointers;  // into tokens, null-terminated; empty: no list

  xmlChar** list() { return pointers.empty() ? nullptr : pointers.data(); }
};

// The parameters xmlsec reads from a c14n algorithm element: for exclusive c14n one optional
// InclusiveNamespaces with a PrefixList; for inclusive c14n none (children ignored). False for
// anything else, which xmlsec refuses or reads in its own way.
bool read_prefixes(const Canonicalization& c14n, Prefixes& prefixes) {
  if (!c14n.exclusive) return true;
  xmlNodePtr element = c14n.element->children;
  while (element && element->type != XML_ELEMENT_NODE) element = element->next;
  if (!element) return true;
  if (!element->ns || kExcC14n != reinterpret_cast<const char*>(element->ns->href) ||
      std::strcmp(reinterpret_cast<const char*>(element->name), "InclusiveNamespaces") != 0)
    return false;
  const xmlAttrPtr list = element->properties;
  if (!list || list->next || list->ns || std::strcmp(reinterpret_cast<const char*>(list->name), "PrefixList") != 0)
    return false;
  for (xmlNodePtr after = element->next; after; after = after->next)
    if (after->type == XML_ELEMENT_NODE) return false;
  XmlChars value(xmlNodeListGetString(element->doc, list->children, 1));
  const std::string_view text = value ? reinterpret_cast<const char*>(value.get()) : "";
  for (std::size_t at = 0; at < text.size();) {
    const auto space = text.find(' ', at);
    const auto end = space == std::string_view::npos ? text.size() : space;
    prefixes.tokens.emplace_back(text.substr(at, end - at));
    at = space == std::string_view::npos ? text.size() : space + 1;
  }
  for (auto& token : prefixes.tokens) prefixes.pointers.push_back(reinterpret_cast<xmlChar*>(token.data()));
  prefixes.pointers.push_back(nullptr);
  return true;
}

// Base64 values by byte: 0-63, kSpace for the whitespace skipped, kPad for '=', kBad else.
constexpr unsigned char kSpace = 64, kPad = 65, kBad = 66;
constexpr std::array<unsigned char, 256> kBase64 = [] {
  std::array<unsigned char, 256> table{};
  table.fill(kBad);
  const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (unsigned char i = 0; i < 64; ++i) table[static_cast<unsigned char>(alphabet[i])] = i;
  for (const char c : {' ', '\t', '\r', '\n'}) table[static_cast<unsigned char>(c)] = kSpace;
  table['='] = kPad;
  return table;
}();

// Plain base64 only: the alphabet, whitespace, and '=' padding that completes the last
// quantum with zero bits. Anything looser is left to xmlsec's decoder. Bytes are written per
// quantum of four characters (this runs over every SignatureValue).
std::optional<std::string> strict_base64(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  auto* at = reinterpret_cast<unsigned char*>(out.data());
  unsigned quantum = 0;  // the characters of the current quantum, 6 bits each
  int held = 0;          // how many
  int padding = 0;
  for (const char c : text) {
    const unsigned char value = kBase64[static_cast<unsigned char>(c)];
    if (value < 64) {
      if (padding) return std::nullopt;  // data after padding
      quantum = (quantum << 6) | value;
      if (++held == 4) {
        at[0] = static_cast<unsigned char>(quantum >> 16);
        at[1] = static_cast<unsigned char>(quantum >> 8);
        at[2] = static_cast<unsigned char>(quantum);
        at += 3;
        quantum = 0;
        held = 0;
      }
    } else if (value == kPad) {
      ++padding;
    } else if (value != kSpace) {
      return std::nullopt;  // not base64
    }
  }
  // A last quantum of one character can never be valid; of two or three it needs two or one
  // '=' and zero bits past its last byte.
  if (held == 2 && padding == 2 && (quantum & 0xF) == 0) {
    *at++ = static_cast<unsigned char>(quantum >> 4);
  } else if (held == 3 && padding == 1 && (quantum & 0x3) == 0) {
    *at++ = static_cast<unsigned char>(quantum >> 10);
    *at++ = static_cast<unsigned char>(quantum >> 2);
  } else if (held != 0 || padding != 0) {
    return std::nullopt;
  }
  const auto size = static_cast<std::size_t>(at - reinterpret_cast<unsigned char*>(out.data()));
  if (size == 0) return std::nullopt;
  out.resize(size);
  return out;
}

// The text of a DigestValue or SignatureValue, as xmlNodeGetContent reads it, without a copy
// in the usual case of one text child.
std::optional<std::string> strict_base64(xmlNodePtr element) {
  const xmlNodePtr text = element->children;
  if (text && !text->next && text->type == XML_TEXT_NODE && text->content)
    return strict_base64(std::string_view(reinterpret_cast<const char*>(text->content)));
  XmlChars content(xmlNodeGetContent(element));
  if (!content) return std::nullopt;
  return strict_base64(std::string_view(reinterpret_cast<const char*>(content.get())));
}

Libxml2C14n libxml2_parameters(const Canonicalization& c14n, bool with_comments, Prefixes& prefixes) {
  return {c14n.exclusive, with_comments, prefixes.list()};
}

// The reference: the whole document (URI="") or the root element (URI="#<root Id>"), minus
// the Signature and everything in it, never with comments: xmlsec dereferences both URI forms
// to a node set without comment nodes, whatever the c14n. Exclusive c14n by our writer unless
// it declines, then (and for inclusive c14n) by libxml2.
bool canonicalize_reference(xmlDocPtr doc, const SignatureShape& shape, Prefixes& prefixes, C14nEngine engine,
                            std::string& out) {
  if (shape.reference_c14n.exclusive && engine != C14nEngine::libxml2) {
    if (exclusive_c14n_of_document(doc, shape.reference_by_id, shape.signature, prefixes.tokens, out) ==
        C14nOutcome::written)
      return true;
    if (engine == C14nEngine::ours) return false;
  } else if (engine == C14nEngine::ours) {
    return false;
  }
  out.clear();
  return libxml2_c14n_of_document(doc, shape.reference_by_id, shape.signature,
                                  libxml2_parameters(shape.reference_c14n, false, prefixes), out);
}

// SignedInfo in the context of its ancestors, as xmlsec's node set of the SignedInfo subtree
// gives it, with comments if its c14n says so (then, and for inclusive c14n, by libxml2).
bool canonicalize_signed_info(xmlDocPtr doc, const SignatureShape& shape, Prefixes& prefixes, C14nEngine engine,
                              std::string& out) {
  const xmlNodePtr root = xmlDocGetRootElement(doc);
  if (shape.signature->parent != root || shape.signed_info->parent != shape.signature) return false;  // not the profile
  const Canonicalization& c14n = shape.signed_info_c14n;
  if (c14n.exclusive && !c14n.with_comments && engine != C14nEngine::libxml2) {
    if (exclusive_c14n_of_subtree(shape.signed_info, prefixes.tokens, out) == C14nOutcome::written) return true;
    if (engine == C14nEngine::ours) return false;
  } else if (engine == C14nEngine::ours) {
    return false;
  }
  out.clear();
  return libxml2_c14n_of_subtree(shape.signed_info, libxml2_parameters(c14n, c14n.with_comments, prefixes), out);
}

// XML-DSig carries ECDSA as r||s, each the size of the group order; OpenSSL wants DER.
std::optional<std::string> ecdsa_der(const std::string& raw, std::size_t half) {
  EcdsaSig sig(ECDSA_SIG_new());
  if (!sig) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  BIGNUM* r = BN_bin2bn(bytes, static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(bytes + half, static_cast<int>(half), nullptr);
  if (!r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* at = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &at) != size) return std::nullopt;
  return der;
}

Refusal invalid(std::string reason) { return refuse(Code::SignatureInvalid, std::move(reason)); }

}  // namespace

CanonicalForms canonical_forms(xmlDocPtr doc, const SignatureShape& shape, C14nEngine engine) {
  CanonicalForms forms;
  Prefixes signed_info_prefixes;
  Prefixes reference_prefixes;
  std::string bytes;
  if (read_prefixes(shape.reference_c14n, reference_prefixes) &&
      canonicalize_reference(doc, shape, reference_prefixes, engine, bytes))
    forms.reference = bytes;
  bytes.clear();
  if (read_prefixes(shape.signed_info_c14n, signed_info_prefixes) &&
      canonicalize_signed_info(doc, shape, signed_info_prefixes, engine, bytes))
    forms.signed_info = bytes;
  return forms;
}

void prepare_verify_templates(TrustedSigner& signer) {
  if (!signer.public_key) return;
  for (const auto algorithm : {DigestAlgorithm::sha256, DigestAlgorithm::sha384, DigestAlgorithm::sha512}) {
    if (!digest_of(algorithm)) continue;  // never a null digest: OpenSSL would pick the key's default
    MdCtx ctx(EVP_MD_CTX_new());
    if (ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, digest_of(algorithm), nullptr, signer.public_key.get()) == 1)
      signer.verify_templates[static_cast<std::size_t>(algorithm)] = std::move(ctx);
    ERR_clear_error();
  }
}

DirectVerdict verify_directly(xmlDocPtr doc, const SignatureShape& shape, const TrustedSigner& signer) {
  // Everything is read and canonicalized before either verdict, so whatever xmlsec would
  // stumble on reaches xmlsec, wherever it sits.
  Prefixes signed_info_prefixes;
  Prefixes reference_prefixes;
  if (!read_prefixes(shape.signed_info_c14n, signed_info_prefixes)) return Undecided{"CanonicalizationMethod content"};
  if (!read_prefixes(shape.reference_c14n, reference_prefixes)) return Undecided{"c14n Transform content"};

  if (!digest_of(shape.reference_digest) || !digest_of(shape.signature_digest)) return Undecided{"digest not available"};
  EVP_PKEY* key = signer.public_key.get();
  const int key_type = key ? EVP_PKEY_get_base_id(key) : EVP_PKEY_NONE;
  if (shape.ecdsa ? key_type != EVP_PKEY_EC || signer.ecdsa_half_size == 0 : key_type != EVP_PKEY_RSA)
    return Undecided{"the key does not fit the SignatureMethod"};

  const auto digest_value = strict_base64(shape.digest_value);
  if (!digest_value) return Undecided{"DigestValue is not plain base64"};
  auto signature_value = strict_base64(shape.signature_value);
  if (!signature_value) return Undecided{"SignatureValue is not plain base64"};
  const std::size_t expected_signature_size =
      shape.ecdsa ? 2 * signer.ecdsa_half_size : static_cast<std::size_t>(EVP_PKEY_get_size(key));
  if (signature_value->size() != expected_signature_size) return Undecided{"SignatureValue size"};
  if (shape.ecdsa) {
    signature_value = ecdsa_der(*signature_value, signer.ecdsa_half_size);
    if (!signature_value) return Undecided{"ECDSA signature conversion"};
  }

  std::string signed_info;
  signed_info.reserve(2048);  // a SignedInfo is about 1 KB; our writer appends in small pieces
  if (!canonicalize_signed_info(doc, shape, signed_info_prefixes, C14nEngine::ours_else_libxml2, signed_info)) return Undecided{"c14n of SignedInfo"};
  CanonicalBytes canonical;
  // The canonical form is rarely longer than the document text, minus the Signature.
  canonical.xml.reserve(4096);
  if (!canonicalize_reference(doc, shape, reference_prefixes, C14nEngine::ours_else_libxml2, canonical.xml)) return Undecided{"c14n of the reference"};

  // xmlsec's order: the reference digest, then the signature value.
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  if (EVP_Digest(canonical.xml.data(), canonical.xml.size(), digest, &digest_size,
                 digest_of(shape.reference_digest), nullptr) != 1) {
    ERR_clear_error();
    return Undecided{"digest computation"};
  }
  if (digest_value->size() != digest_size) return Undecided{"DigestValue size"};
  if (CRYPTO_memcmp(digest_value->data(), digest, digest_size) != 0)
    return invalid("digest mismatch: the document changed after signing");

  MdCtx ctx(EVP_MD_CTX_new());
  const auto& prepared = signer.verify_templates[static_cast<std::size_t>(shape.signature_digest)];
  if (!ctx || (prepared ? EVP_MD_CTX_copy_ex(ctx.get(), prepared.get())
                        : EVP_DigestVerifyInit(ctx.get(), nullptr, digest_of(shape.signature_digest), nullptr, key)) != 1) {
    ERR_clear_error();
    return Undecided{"cannot set up EVP_DigestVerify"};
  }
  const int verified =
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature_value->data()), signature_value->size(),
                       reinterpret_cast<const unsigned char*>(signed_info.data()), signed_info.size());
  if (verified == 1) return canonical;
  ERR_clear_error();
  if (verified == 0) return invalid("signature value does not verify with the certificate's key");
  return Undecided{"EVP_DigestVerify error"};
}

}  // namespace stagegate::signing
