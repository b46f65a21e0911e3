#pragma once
// Move-only owners of the C handles this module uses (libxml2, xmlsec, OpenSSL).
#include <libxml/tree.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <xmlsec/keys.h>
#include <xmlsec/xmldsig.h>

#include <memory>

namespace stagegate::signing {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* handle) const {
    if (handle) Free(handle);
  }
};

using XmlDoc = std::unique_ptr<xmlDoc, Deleter<xmlFreeDoc>>;
using DSigCtx = std::unique_ptr<xmlSecDSigCtx, Deleter<xmlSecDSigCtxDestroy>>;
using SecKey = std::unique_ptr<xmlSecKey, Deleter<xmlSecKeyDestroy>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using PKey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509_free>>;
using Crl = std::unique_ptr<X509_CRL, Deleter<X509_CRL_free>>;
using Store = std::unique_ptr<X509_STORE, Deleter<X509_STORE_free>>;
using StoreCtx = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX_free>>;
struct FreeXmlChars {
  void operator()(xmlChar* text) const { xmlFree(text); }
};
using XmlChars = std::unique_ptr<xmlChar, FreeXmlChars>;

}  // namespace stagegate::signing
