#pragma once
// OpenSSL contexts built from our configuration (not from gSOAP's file conventions, which
// want key and certificate in one file): TLS 1.2 is the floor on both sides.
#include <openssl/ssl.h>

#include <memory>

#include "stagegate/adapters/tls.h"
#include "stdsoap2.h"

namespace stagegate::adapters {

struct FreeSslContext {
  void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
};
using SslContext = std::unique_ptr<SSL_CTX, FreeSslContext>;

SslContext make_server_context(const ServerTls& config);
SslContext make_client_context(const ClientTls& config);

// Gives ctx its own reference to the context: gSOAP frees soap->ctx with the soap context.
void share_context(soap* ctx, SSL_CTX* context);

}  // namespace stagegate::adapters
