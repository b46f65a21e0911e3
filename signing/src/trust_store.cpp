#include "trust_store.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>
#include <xmlsec/openssl/evp.h>

#include "certificate_identity.h"
#include "pem.h"
#include "xmlsec_library.h"

namespace stagegate::signing {
namespace {

std::string base64_decode(const std::string& text) {
  std::string compact;
  for (const char c : text)
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') compact += c;
  std::string out(compact.size() / 4 * 3 + 3, '\0');
  EVP_ENCODE_CTX* ctx = EVP_ENCODE_CTX_new();
  EVP_DecodeInit(ctx);
  int written = 0;
  int final_written = 0;
  const int ok = EVP_DecodeUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &written,
                                  reinterpret_cast<const unsigned char*>(compact.data()), static_cast<int>(compact.size()));
  const int finished = EVP_DecodeFinal(ctx, reinterpret_cast<unsigned char*>(out.data()) + written, &final_written);
  EVP_ENCODE_CTX_free(ctx);
  if (ok < 0 || finished < 0) return {};
  out.resize(static_cast<std::size_t>(written + final_written));
  return out;
}

std::string sha256(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::time_t to_time(const ASN1_TIME* time) {
  std::tm parts{};
  ASN1_TIME_to_tm(time, &parts);
  return timegm(&parts);
}

Refusal untrusted(std::string reason) { return refuse(Code::SignerUntrusted, std::move(reason)); }

}  // namespace

TrustStore::TrustStore(const TrustConfig& config) : store_(X509_STORE_new()) {
  if (config.anchors.empty()) throw std::runtime_error("no trust anchor configured");
  for (const auto& path : config.anchors)
    for (const auto& file : pem_files_at(path))
      for (auto& certificate : read_certificates(file)) X509_STORE_add_cert(store_.get(), certificate.get());
  bool any_crl = false;
  for (const auto& path : config.crls)
    for (const auto& file : pem_files_at(path, true))
      for (auto& crl : read_crls(file)) any_crl = X509_STORE_add_crl(store_.get(), crl.get()) == 1 || any_crl;
  if (any_crl) X509_STORE_set_flags(store_.get(), X509_V_FLAG_CRL_CHECK);
  ERR_clear_error();
}

Result<std::shared_ptr<const TrustedSigner>> TrustStore::signer(const std::vector<std::string>& certificates_base64) {
  if (certificates_base64.empty()) return refuse(Code::SignatureInvalid, "no X509Certificate");
  // Keyed by the certificate exactly as sent (base64 text): a known signer costs one hash,
  // no base64 or DER decoding. The same certificate formatted otherwise is just a miss.
  const auto fingerprint = sha256(certificates_base64.front());
  const auto now = std::time(nullptr);
  {
    std::lock_guard lock(mutex_);
    if (const auto found = validated_.find(fingerprint); found != validated_.end()) {
      const auto& known = found->second;
      if (now >= known->not_before && now <= known->not_after) return known;
      validated_.erase(found);
    }
  }
  std::vector<std::string> ders;
  for (const auto& text : certificates_base64) {
    ders.push_back(base64_decode(text));
    if (ders.back().empty()) return refuse(Code::SignatureInvalid, "X509Certificate is not base64");
  }
  std::vector<Cert> chain;
  for (const auto& der : ders) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(der.data());
    Cert certificate(d2i_X509(nullptr, &bytes, static_cast<long>(der.size())));
    if (!certificate) {
      ERR_clear_error();
      return refuse(Code::SignatureInvalid, "X509Certificate is not a DER certificate");
    }
    chain.push_back(std::move(certificate));
  }
  auto validated = validate(chain);
  if (!validated) return validated;
  std::lock_guard lock(mutex_);
  // Providers have a few signers each; a flood of distinct (re-formatted) certificates must
  // not grow memory without bound, so the cache starts over past a generous size.
  if (validated_.size() >= 10000) validated_.clear();
  validated_[fingerprint] = validated.value();
  return validated;
}

Result<std::shared_ptr<const TrustedSigner>> TrustStore::validate(const std::vector<Cert>& chain) {
  X509* leaf = chain.front().get();
  struct FreeStack {
    void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }  // the certificates stay owned by `chain`
  };
  std::unique_ptr<STACK_OF(X509), FreeStack> intermediates(sk_X509_new_null());
  for (std::size_t i = 1; i < chain.size(); ++i) sk_X509_push(intermediates.get(), chain[i].get());

  StoreCtx ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store_.get(), leaf, intermediates.get()) != 1)
    return refuse(Code::Internal, "cannot set up certificate verification");
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return untrusted(std::string("certificate: ") + X509_verify_cert_error_string(error));
  }
  if (!may_sign(leaf)) return untrusted("certificate: key usage does not allow digital signature");

  auto signer = std::make_shared<TrustedSigner>();
  signer->identity = identity_of(leaf);
  signer->not_before = to_time(X509_get0_notBefore(leaf));
  signer->not_after = to_time(X509_get0_notAfter(leaf));
  EVP_PKEY* public_key = X509_get_pubkey(leaf);  // a new reference, adopted below
  if (!public_key) return untrusted("certificate: no usable public key");
  ensure_xmlsec();
  xmlSecKeyDataPtr data = xmlSecOpenSSLEvpKeyAdopt(public_key);
  if (!data) {
    EVP_PKEY_free(public_key);
    return untrusted("certificate: public key type not supported");
  }
  signer->key.reset(xmlSecKeyCreate());
  if (!signer->key || xmlSecKeySetValue(signer->key.get(), data) < 0) {
    xmlSecKeyDataDestroy(data);
    return refuse(Code::Internal, "cannot build the verification key");
  }
  return std::shared_ptr<const TrustedSigner>(std::move(signer));
}

}  // namespace stagegate::signing
