#pragma once
// TLS for the SyncChannel: the server side (HTTPS on the SOAP port, optional client
// certificates) and the client side (`stagegate send` to an https:// URL).
// All paths are PEM files; a bad file is a startup error (std::runtime_error).
// Using TLS, or starting a SoapServer at all, sets SIGPIPE to ignored for the process
// (OpenSSL writes with write()).
#include <filesystem>

namespace stagegate::adapters {

struct ServerTls {
  std::filesystem::path certificate_chain;  // server certificate, then its intermediates
  std::filesystem::path private_key;
  // CA certificates that client certificates must chain to; empty: no client certificates.
  std::filesystem::path client_ca;
  // With client_ca: refuse the handshake of a client without a valid certificate.
  bool require_client_certificate = false;
};

struct ClientTls {
  std::filesystem::path server_ca;    // CA the server certificate must chain to; empty: system store
  std::filesystem::path certificate;  // client certificate chain, when the server asks for one
  std::filesystem::path private_key;
  bool check_host_name = true;
};

}  // namespace stagegate::adapters
