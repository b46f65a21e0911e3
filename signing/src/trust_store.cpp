#include "trust_store.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <xmlsec/openssl/evp.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <stdexcept>

#include "certificate_identity.h"
#include "direct_verification.h"
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

std::time_t to_time(const ASN1_TIME* time) {
  std::tm parts{};
  ASN1_TIME_to_tm(time, &parts);
  return timegm(&parts);
}

Refusal untrusted(std::string reason) { return refuse(Code::SignerUntrusted, std::move(reason)); }

std::string common_name(const X509_NAME* name) {
  char text[256] = "";
  if (X509_NAME_get_text_by_NID(const_cast<X509_NAME*>(name), NID_commonName, text, sizeof text) > 0) return text;
  struct FreeOpenSslString {
    void operator()(char* text) const { OPENSSL_free(text); }
  };
  std::unique_ptr<char, FreeOpenSslString> whole(X509_NAME_oneline(name, nullptr, 0));
  return whole ? std::string(whole.get()) : std::string("(unnamed)");
}

std::string utc_text(std::time_t time) {
  std::tm parts{};
  gmtime_r(&time, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string joined(const std::vector<std::filesystem::path>& paths) {
  std::string text;
  for (const auto& path : paths) text += (text.empty() ? "" : ", ") + path.string();
  return text.empty() ? "none given" : text;
}

// Why X509_verify_cert refused, naming the certificate and CA concerned where that helps an
// operator act (load a fresh CRL, find the revoked CA).
std::string refusal_reason(X509_STORE_CTX* ctx, const std::vector<Crl>& crls) {
  const int error = X509_STORE_CTX_get_error(ctx);
  const X509* subject = X509_STORE_CTX_get_current_cert(ctx);
  const std::string issuer = subject ? common_name(X509_get_issuer_name(subject)) : std::string("its issuer");
  const std::string who = subject ? common_name(X509_get_subject_name(subject)) : std::string("a certificate");
  switch (error) {
    case X509_V_ERR_CRL_HAS_EXPIRED: {
      // OpenSSL lets go of the CRL it used before returning; the latest of that issuer's is it.
      std::time_t expired_at = 0;
      for (const auto& crl : crls) {
        const ASN1_TIME* next_update = X509_CRL_get0_nextUpdate(crl.get());
        if (subject && next_update && X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_issuer_name(subject)) == 0)
          expired_at = std::max(expired_at, to_time(next_update));
      }
      return "certificate: the CRL of " + issuer + " expired" +
             (expired_at ? " at " + utc_text(expired_at) : std::string()) + "; load a fresh one";
    }
    case X509_V_ERR_UNABLE_TO_GET_CRL:
      return "certificate: no CRL of " + issuer + " covers " + who + "; load one (revocation checking fails closed)";
    case X509_V_ERR_CRL_NOT_YET_VALID:
      return "certificate: the CRL of " + issuer + " is not yet valid";
    case X509_V_ERR_CERT_REVOKED:
      return X509_STORE_CTX_get_error_depth(ctx) == 0 ? "certificate: certificate revoked (" + who + ")"
                                                      : "certificate: the issuing CA " + who + " is revoked";
    default:
      return std::string("certificate: ") + X509_verify_cert_error_string(error);
  }
}

}  // namespace

TrustStore::TrustStore(const TrustConfig& config) : store_(X509_STORE_new()) {
  if (config.anchors.empty()) throw std::runtime_error("no trust anchor configured");
  for (const auto& path : config.anchors)
    for (const auto& file : pem_files_at(path))
      for (auto& certificate : read_certificates(file)) {
        X509_STORE_add_cert(store_.get(), certificate.get());
        anchors_.push_back(std::move(certificate));
      }
  if (config.check_revocation) {
    load_crls(config);
    require_crl_for_every_authority(config);
    X509_STORE_set_flags(store_.get(), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  } else if (!config.crls.empty()) {
    throw std::runtime_error("CRLs are configured (" + joined(config.crls) +
                             ") but revocation checking is off: drop one or the other");
  }
  ERR_clear_error();
}

void TrustStore::load_crls(const TrustConfig& config) {
  // A directory may be empty (a CRL being replaced): that is caught below as a missing CRL,
  // with a message that says what to do, rather than as an unreadable path.
  for (const auto& path : config.crls)
    for (const auto& file : pem_files_at(path, true))
      for (auto& crl : read_crls(file)) {
        X509_STORE_add_crl(store_.get(), crl.get());
        crls_.push_back(std::move(crl));
      }
  if (crls_.empty())
    throw std::runtime_error("revocation checking is on but no CRL is loaded (--crl: " + joined(config.crls) +
                             "); give the CRLs of the trust anchors with --crl, or turn checking off with "
                             "--no-revocation-check (development only)");
}

// OpenSSL checks every certificate of a chain against a CRL of its issuer (CRL_CHECK_ALL), so
// each CA that can issue needs one. Refusing at load turns "every signer refused at the first
// message" into a configuration error at startup or reload.
void TrustStore::require_crl_for_every_authority(const TrustConfig& config) const {
  for (const auto& anchor : anchors_) {
    if (X509_check_ca(anchor.get()) == 0) continue;  // cannot issue, so needs no CRL of its own
    EVP_PKEY* key = X509_get0_pubkey(anchor.get());
    const bool covered = std::any_of(crls_.begin(), crls_.end(), [&](const Crl& crl) {
      return X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(anchor.get())) == 0 && key &&
             X509_CRL_verify(crl.get(), key) == 1;
    });
    ERR_clear_error();
    if (!covered)
      throw std::runtime_error("revocation checking is on but no CRL signed by the trust anchor \"" +
                               common_name(X509_get_subject_name(anchor.get())) + "\" is loaded (--crl: " +
                               joined(config.crls) + "); add that CA's CRL, or turn checking off with "
                               "--no-revocation-check (development only)");
  }
}

std::time_t TrustStore::reuse_limit(STACK_OF(X509) * verified_chain) const {
  auto limit = std::numeric_limits<std::time_t>::max();
  for (int i = 0; i < sk_X509_num(verified_chain); ++i) {
    const X509* certificate = sk_X509_value(verified_chain, i);
    limit = std::min(limit, to_time(X509_get0_notAfter(certificate)));
    // Of several CRLs of one issuer OpenSSL uses the newest, so the latest nextUpdate counts
    // (an old file left beside a fresh one must not disable the cache).
    std::optional<std::time_t> issuer_crl_until;
    for (const auto& crl : crls_) {
      const ASN1_TIME* next_update = X509_CRL_get0_nextUpdate(crl.get());
      if (next_update && X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_issuer_name(certificate)) == 0)
        issuer_crl_until = std::max(issuer_crl_until.value_or(0), to_time(next_update));
    }
    if (issuer_crl_until) limit = std::min(limit, *issuer_crl_until);
  }
  return limit;
}

Result<std::shared_ptr<const TrustedSigner>> TrustStore::signer(const std::vector<std::string>& certificates_base64) {
  if (certificates_base64.empty()) return refuse(Code::SignatureInvalid, "no X509Certificate");
  // Keyed by the certificate exactly as sent (base64 text): a known signer costs one
  // std::hash and one comparison of the text, no SHA-256, base64 or DER decoding. The same
  // certificate formatted otherwise is just a miss.
  const auto& fingerprint = certificates_base64.front();
  const auto now = std::time(nullptr);
  {
    std::lock_guard lock(mutex_);
    if (const auto found = validated_.find(fingerprint); found != validated_.end()) {
      const auto& known = found->second;
      if (now >= known->not_before && now < known->reuse_until) return known;
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
    auto reason = refusal_reason(ctx.get(), crls_);
    ERR_clear_error();
    return untrusted(std::move(reason));
  }
  if (!may_sign(leaf)) return untrusted("certificate: key usage does not allow digital signature");

  auto signer = std::make_shared<TrustedSigner>();
  signer->identity = identity_of(leaf);
  signer->not_before = to_time(X509_get0_notBefore(leaf));
  signer->reuse_until = reuse_limit(X509_STORE_CTX_get0_chain(ctx.get()));
  EVP_PKEY* public_key = X509_get_pubkey(leaf);  // a new reference, adopted below
  if (!public_key) return untrusted("certificate: no usable public key");
  if (EVP_PKEY_up_ref(public_key) != 1) {
    EVP_PKEY_free(public_key);
    return refuse(Code::Internal, "cannot keep the public key");
  }
  signer->public_key.reset(public_key);  // the second reference; xmlsec adopts the first
  if (EVP_PKEY_get_base_id(public_key) == EVP_PKEY_EC)
    signer->ecdsa_half_size = static_cast<std::size_t>(EVP_PKEY_get_bits(public_key) + 7) / 8;
  prepare_verify_templates(*signer);
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
