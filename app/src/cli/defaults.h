#pragma once
// Where the embedded defaults put things: everything under one var/ directory.
#include <filesystem>
#include <string>

namespace stagegate::cli {

// The development provider created by `stagegate dev-setup` and used by the README walkthrough.
inline constexpr const char* kDevSender = "dev-provider";
inline constexpr const char* kDevPassword = "dev-password";
inline constexpr const char* kDevProviderBin = "050140001238";
inline constexpr const char* kDevSignerIin = "880501300451";

class Defaults {
 public:
  explicit Defaults(std::filesystem::path var) : var_(std::move(var)) {}
  const std::filesystem::path& var() const { return var_; }
  std::filesystem::path pki() const { return var_ / "pki"; }
  std::filesystem::path ca_certificate() const { return pki() / "ca.pem"; }
  // The development CA's CRL (revokes nothing), refreshed by dev-setup before it expires.
  std::filesystem::path crl() const { return pki() / "ca.crl.pem"; }
  std::filesystem::path provider_key() const { return pki() / "provider.key"; }
  std::filesystem::path provider_certificate() const { return pki() / "provider.pem"; }
  // The gateway's own HTTPS certificate (CN=127.0.0.1), for trying TLS locally.
  std::filesystem::path tls_key() const { return pki() / "gateway-tls.key"; }
  std::filesystem::path tls_certificate() const { return pki() / "gateway-tls.pem"; }
  std::filesystem::path providers() const { return var_ / "providers.conf"; }
  // What the operators' listener (/metrics) requires as a bearer token.
  std::filesystem::path ops_token() const { return var_ / "ops.token"; }
  std::filesystem::path journal() const { return var_ / "journal.db"; }
  // Bus CURVE keys (PREFIX.key secret, PREFIX.pub public) and who may consume.
  std::filesystem::path bus() const { return var_ / "bus"; }
  std::filesystem::path bus_key(const std::string& name) const { return bus() / name; }
  std::filesystem::path gateway_bus_key() const { return bus_key("gateway"); }
  std::filesystem::path consumers() const { return bus() / "consumers.conf"; }

 private:
  std::filesystem::path var_;
};

}  // namespace stagegate::cli
