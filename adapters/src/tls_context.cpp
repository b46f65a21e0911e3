#include "tls_context.h"

#include <openssl/err.h>

#include <csignal>
#include <stdexcept>
#include <string>

namespace stagegate::adapters {
namespace {

[[noreturn]] void fail(const std::string& what) {
  const auto code = ERR_get_error();
  char reason[256] = "";
  if (code) ERR_error_string_n(code, reason, sizeof reason);
  ERR_clear_error();
  throw std::runtime_error("TLS: " + what + (code ? std::string(": ") + reason : ""));
}

SslContext new_context(const SSL_METHOD* method) {
  // OpenSSL writes to sockets with write(), not send(MSG_NOSIGNAL): a peer that hangs up
  // mid-handshake would otherwise kill the whole process with SIGPIPE.
  static const bool ignoring_sigpipe = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)ignoring_sigpipe;
  SslContext context(SSL_CTX_new(method));
  if (!context) fail("cannot create a context");
  if (SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION) != 1) fail("cannot require TLS 1.2");
  return context;
}

void use_key_pair(SSL_CTX* context, const std::filesystem::path& certificate, const std::filesystem::path& key) {
  if (SSL_CTX_use_certificate_chain_file(context, certificate.c_str()) != 1) fail("cannot use certificate " + certificate.string());
  if (SSL_CTX_use_PrivateKey_file(context, key.c_str(), SSL_FILETYPE_PEM) != 1) fail("cannot use private key " + key.string());
  if (SSL_CTX_check_private_key(context) != 1) fail(key.string() + " does not belong to " + certificate.string());
}

}  // namespace

SslContext make_server_context(const ServerTls& config) {
  auto context = new_context(TLS_server_method());
  use_key_pair(context.get(), config.certificate_chain, config.private_key);
  if (!config.client_ca.empty()) {
    if (SSL_CTX_load_verify_locations(context.get(), config.client_ca.c_str(), nullptr) != 1)
      fail("cannot load client CA " + config.client_ca.string());
    // Tells clients which CAs we accept, so they pick the right certificate.
    SSL_CTX_set_client_CA_list(context.get(), SSL_load_client_CA_file(config.client_ca.c_str()));
    int mode = SSL_VERIFY_PEER;
    if (config.require_client_certificate) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(context.get(), mode, nullptr);
  } else if (config.require_client_certificate) {
    throw std::runtime_error("TLS: requiring client certificates needs a client CA file");
  }
  return context;
}

SslContext make_client_context(const ClientTls& config) {
  auto context = new_context(TLS_client_method());
  const bool loaded = config.server_ca.empty() ? SSL_CTX_set_default_verify_paths(context.get()) == 1
                                               : SSL_CTX_load_verify_locations(context.get(), config.server_ca.c_str(), nullptr) == 1;
  if (!loaded) fail("cannot load server CA " + config.server_ca.string());
  SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  if (!config.certificate.empty()) use_key_pair(context.get(), config.certificate, config.private_key);
  return context;
}

void share_context(soap* ctx, SSL_CTX* context) {
  SSL_CTX_up_ref(context);
  ctx->ctx = context;
}

}  // namespace stagegate::adapters
