#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/defaults.h"
#include "stagegate/signing/pki.h"
#include "stagegate/signing/provider_registry.h"

namespace stagegate::cli {

// Idempotent: what exists is kept, so a restart never invalidates certificates already handed out.
int dev_setup(int argc, char** argv) {
  const Arguments args(argc, argv, 2);
  args.allow_only({"var"});
  const Defaults defaults(args.get_or("var", "var"));
  std::filesystem::create_directories(defaults.pki());
  // var/ holds the journal (personal data), password hashes and keys. A var/ made by an
  // older version with 0755 is closed here, which also covers the files inside it.
  const auto var_mode = std::filesystem::status(defaults.var()).permissions();
  if ((var_mode & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) != std::filesystem::perms::none) {
    std::filesystem::permissions(defaults.var(), std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
    std::cout << "closed " << defaults.var().string() << " to its owner (mode 0700)\n";
  }

  const auto pki = signing::Pki::open_or_create(defaults.pki());
  if (!std::filesystem::exists(defaults.provider_certificate())) {
    signing::CertificateRequest request;
    request.common_name = "Dev Provider Signer";
    request.organization_bin = kDevProviderBin;
    request.person_iin = kDevSignerIin;
    pki.issue("provider", request);
    std::cout << "issued " << defaults.provider_certificate().string() << " (OU=BIN" << kDevProviderBin
              << ", SERIALNUMBER=IIN" << kDevSignerIin << ")\n";
  }
  if (!std::filesystem::exists(defaults.tls_certificate())) {
    signing::CertificateRequest request;
    request.common_name = "127.0.0.1";
    pki.issue("gateway-tls", request);
    std::cout << "issued " << defaults.tls_certificate().string() << " (HTTPS on 127.0.0.1, for --tls-cert)\n";
  }
  if (!std::filesystem::exists(defaults.providers())) {
    std::ofstream registry(defaults.providers());
    registry << "# stagegate provider registry: senderId BIN password-hash serviceIds\n"
             << signing::ProviderRegistry::format_line(
                    signing::Provider{kDevSender, kDevProviderBin, {"STAGE_NOTIFICATION", "SERVICE_INFO"}},
                    kDevPassword)
             << '\n';
    if (!registry) throw std::runtime_error("cannot write " + defaults.providers().string());
    std::cout << "registered sender " << kDevSender << " (password " << kDevPassword << ") in "
              << defaults.providers().string() << '\n';
  }
  std::cout << "dev PKI: CA " << pki.ca_certificate().string() << ", signer key " << defaults.provider_key().string()
            << ", certificate " << defaults.provider_certificate().string() << '\n';
  return 0;
}

}  // namespace stagegate::cli
