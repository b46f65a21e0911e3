#include "stagegate/signing/verifier.h"

#include <xmlsec/crypto.h>
#include <xmlsec/membuf.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>

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

}  // namespace

struct Verifier::Impl {
  DocumentLimits limits;
  TrustStore trust;
  Impl(const TrustConfig& config, DocumentLimits l) : limits(l), trust(config) {}
};

Verifier Verifier::create(const TrustConfig& trust, DocumentLimits limits) {
  ensure_xmlsec();
  return Verifier(std::make_unique<Impl>(trust, limits));
}

Verifier::Verifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Verifier::~Verifier() = default;
Verifier::Verifier(Verifier&&) noexcept = default;
Verifier& Verifier::operator=(Verifier&&) noexcept = default;

Result<VerifiedDocument> Verifier::verify(std::string_view document) const {
  auto doc = parse_guarded(document, impl_->limits);
  if (!doc) return doc.refusal();
  auto shape = check_signature_shape(doc->get());
  if (!shape) return shape.refusal();
  auto signer = impl_->trust.signer(shape->certificates_base64);
  if (!signer) return signer.refusal();

  DSigCtx ctx(xmlSecDSigCtxCreate(nullptr));
  if (!ctx || !restrict_transforms(ctx.get())) return refuse(Code::Internal, "cannot set up signature verification");
  ctx->flags |= XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES | XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
  ctx->enabledReferenceUris =
      static_cast<xmlSecTransformUriType>(xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument);
  // The key comes from the validated certificate; with signKey set xmlsec reads no key
  // from KeyInfo, so a KeyValue can never be trusted.
  ctx->signKey = xmlSecKeyDuplicate(signer.value()->key.get());
  if (!ctx->signKey) return refuse(Code::Internal, "cannot copy the verification key");

  take_xmlsec_error();
  if (xmlSecDSigCtxVerify(ctx.get(), shape->signature) < 0) {
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
  VerifiedDocument verified;
  verified.canonical_xml.assign(reinterpret_cast<const char*>(xmlSecBufferGetData(buffer)), xmlSecBufferGetSize(buffer));
  verified.signer = signer.value()->identity;
  return verified;
}

}  // namespace stagegate::signing
