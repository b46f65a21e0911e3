#include "stagegate/signing/signer.h"

#include <xmlsec/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>

#include "document_guard.h"
#include "handles.h"
#include "xmlsec_library.h"

namespace stagegate::signing {

Result<std::string> sign_enveloped(std::string_view document, const std::filesystem::path& private_key_pem,
                                   const std::filesystem::path& certificate_pem, SignOptions options) {
  ensure_xmlsec();
  DocumentLimits limits;
  limits.max_bytes = 64u << 20;  // our own documents: no need to refuse what the gateway would
  limits.max_depth = 256;
  auto doc = parse_guarded(document, limits, TreeUse::modified);  // the signature is added to it
  if (!doc) return doc.refusal();

  take_xmlsec_error();
  SecKey key(xmlSecCryptoAppKeyLoad(private_key_pem.c_str(), xmlSecKeyDataFormatPem, nullptr, nullptr, nullptr));
  if (!key) return refuse(Code::Internal, "cannot load private key " + private_key_pem.string() + ": " + take_xmlsec_error());
  if (xmlSecCryptoAppKeyCertLoad(key.get(), certificate_pem.c_str(), xmlSecKeyDataFormatPem) < 0)
    return refuse(Code::Internal, "cannot load certificate " + certificate_pem.string() + ": " + take_xmlsec_error());

  const bool ecdsa = xmlSecKeyDataCheckId(xmlSecKeyGetValue(key.get()), xmlSecOpenSSLKeyDataEcdsaId);
  const auto method = ecdsa ? xmlSecTransformEcdsaSha256Id : xmlSecTransformRsaSha256Id;
  xmlNodePtr signature = xmlSecTmplSignatureCreateNsPref(doc->get(), xmlSecTransformExclC14NId, method, nullptr,
                                                         reinterpret_cast<const xmlChar*>("ds"));
  if (!signature) return refuse(Code::Internal, "cannot build the signature template");
  xmlNodePtr root = xmlDocGetRootElement(doc->get());
  xmlAddChild(root, signature);  // the document now owns it
  std::string uri;
  if (options.reference_root_by_id) {
    xmlAttrPtr id = xmlHasProp(root, reinterpret_cast<const xmlChar*>("Id"));
    if (!id || !id->children || !id->children->content) return refuse(Code::Malformed, "the root has no Id attribute");
    const auto* value = id->children->content;
    xmlAddID(nullptr, doc->get(), value, id);  // so xmlsec resolves the fragment
    uri = "#" + std::string(reinterpret_cast<const char*>(value));
  }
  xmlNodePtr reference = xmlSecTmplSignatureAddReference(signature, xmlSecTransformSha256Id, nullptr,
                                                         reinterpret_cast<const xmlChar*>(uri.c_str()), nullptr);
  if (!reference || !xmlSecTmplReferenceAddTransform(reference, xmlSecTransformEnvelopedId) ||
      !xmlSecTmplReferenceAddTransform(reference, xmlSecTransformExclC14NId))
    return refuse(Code::Internal, "cannot build the signature reference");
  xmlNodePtr key_info = xmlSecTmplSignatureEnsureKeyInfo(signature, nullptr);
  xmlNodePtr x509 = key_info ? xmlSecTmplKeyInfoAddX509Data(key_info) : nullptr;
  if (!x509 || !xmlSecTmplX509DataAddCertificate(x509)) return refuse(Code::Internal, "cannot build KeyInfo");

  DSigCtx ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx) return refuse(Code::Internal, "cannot create a signature context");
  ctx->signKey = key.release();
  if (xmlSecDSigCtxSign(ctx.get(), signature) < 0) return refuse(Code::Internal, "signing failed: " + take_xmlsec_error());

  xmlChar* text = nullptr;
  int size = 0;
  xmlDocDumpMemoryEnc(doc->get(), &text, &size, "UTF-8");
  XmlChars owned(text);
  if (!owned) return refuse(Code::Internal, "cannot serialize the signed document");
  return std::string(reinterpret_cast<const char*>(owned.get()), static_cast<std::size_t>(size));
}

}  // namespace stagegate::signing
