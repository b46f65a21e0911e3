#include "stagegate/signing/verifier.h"

#include <xmlsec/crypto.h>
#include <xmlsec/membuf.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>

#include <variant>

#include "direct_verification.h"
#include "document_guard.h"
#include "signature_shape.h"
#include "trust_store.h"
#include "xmlsec_library.h"

namespace stagegate::signing {
namespace {

Refusal invalid(std::string reason) { return refuse(Code::SignatureInvalid, std::move(reason)); }

// Defence in depth: even past the shape check, xmlsec may only run the allowed transforms.
bool restrict_transforms(xmlSecDSigCtxPtr ctx) {
  const xmlSecTransformId canonicalizations[] = {xmlSecTransformInclC14NId, xmlSecTransformInclC14NWithCommentsId,
                                                 xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId};
  const xmlSecTransformId digests[] = {xmlSecTransformSha256Id, xmlSecTransformSha384Id, xmlSecTransformSha512Id};
  const xmlSecTransformId signatures[] = {xmlSecTransformRsaSha256Id, xmlSecTransformRsaSha384Id,
                                          xmlSecTransformRsaSha512Id, xmlSecTransformEcdsaSha256Id,
                                          xmlSecTransformEcdsaSha384Id};
  for (const auto id : canonicalizations)
    if (xmlSecDSigCtxEnableReferenceTransform(ctx, id) < 0 || xmlSecDSigCtxEnableSignatureTransform(ctx, id) < 0)
      return false;
  for (const auto id : digests)
    if (xmlSecDSigCtxEnableReferenceTransform(ctx, id) < 0) return false;
  for (const auto id : signatures)
    if (xmlSecDSigCtxEnableSignatureTransform(ctx, id) < 0) return false;
  return xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId) >= 0;
}

// The reference digest and the signature value by xmlsec's generic engine; the canonical
// bytes it digested.
Result<std::string> check_with_xmlsec(const SignatureShape& shape, const TrustedSigner& signer) {
  DSigCtx ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx || !restrict_transforms(ctx.get())) return refuse(Code::Internal, "cannot set up signature verification");
  ctx->flags |= XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES | XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
  ctx->enabledReferenceUris =
      static_cast<xmlSecTransformUriType>(xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument);
  // The key comes from the validated certificate; with signKey set xmlsec reads no key
  // from KeyInfo, so a KeyValue can never be trusted.
  ctx->signKey = xmlSecKeyDuplicate(signer.key.get());
  if (!ctx->signKey) return refuse(Code::Internal, "cannot copy the verification key");

  take_xmlsec_error();
  if (xmlSecDSigCtxVerify(ctx.get(), shape.signature) < 0) {
    const auto error = take_xmlsec_error();
    return invalid("signature could not be processed" + (error.empty() ? std::string() : ": " + error));
  }
  if (ctx->status != xmlSecDSigStatusSucceeded) {
    // xmlsec checks the digest before the signature value: tell integrators which failed.
    auto* reference = static_cast<xmlSecDSigReferenceCtxPtr>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0));
    if (reference && reference->status != xmlSecDSigStatusSucceeded)
      return invalid("digest mismatch: the document changed after signing");
    return invalid("signature value does not verify with the certificate's key");
  }

  auto* reference = static_cast<xmlSecDSigReferenceCtxPtr>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0));
  if (!reference || !reference->preDigestMemBufMethod) return refuse(Code::Internal, "verified bytes not kept");
  const auto buffer = xmlSecTransformMemBufGetBuffer(reference->preDigestMemBufMethod);
  return std::string(reinterpret_cast<const char*>(xmlSecBufferGetData(buffer)), xmlSecBufferGetSize(buffer));
}

}  // namespace

struct Verifier::Impl {
  DocumentLimits limits;
  TrustStore trust;
  Impl(const TrustConfig& config, DocumentLimits l) : limits(l), trust(config) {}

  Result<VerifiedDocument> verify(std::string_view document, bool direct) {
    auto doc = parse_guarded(document, limits);
    if (!doc) return doc.refusal();
    auto shape = check_signature_shape(doc->get());
    if (!shape) return shape.refusal();
    auto signer = trust.signer(shape->certificates_base64);
    if (!signer) return signer.refusal();

    VerifiedDocument verified;
    verified.signer = signer.value()->identity;
    if (direct) {
      auto verdict = verify_directly(doc->get(), shape.value(), *signer.value());
      if (auto* bytes = std::get_if<CanonicalBytes>(&verdict)) {
        verified.canonical_xml = std::move(bytes->xml);
        return verified;
      }
      if (auto* refusal = std::get_if<Refusal>(&verdict)) return std::move(*refusal);
      // Undecided: something outside the plain profile; xmlsec gives the verdict and its words.
    }
    auto canonical = check_with_xmlsec(shape.value(), *signer.value());
    if (!canonical) return canonical.refusal();
    verified.canonical_xml = std::move(canonical).value();
    return verified;
  }
};

Verifier Verifier::create(const TrustConfig& trust, DocumentLimits limits) {
  ensure_xmlsec();
  return Verifier(std::make_unique<Impl>(trust, limits));
}

Verifier::Verifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Verifier::~Verifier() = default;
Verifier::Verifier(Verifier&&) noexcept = default;
Verifier& Verifier::operator=(Verifier&&) noexcept = default;

Result<VerifiedDocument> Verifier::verify(std::string_view document) const { return impl_->verify(document, true); }

Result<VerifiedDocument> Verifier::verify_with_xmlsec(std::string_view document) const {
  return impl_->verify(document, false);
}

}  // namespace stagegate::signing
