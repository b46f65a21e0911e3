#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/arguments.h"
#include "cli/bus_keys.h"
#include "cli/commands.h"
#include "cli/defaults.h"
#include "stagegate/bus/consumer_registry.h"
#include "stagegate/bus/curve_keys.h"
#include "stagegate/signing/pki.h"
#include "stagegate/signing/provider_registry.h"

namespace stagegate::cli {
namespace {

// The gateway refuses to start without CRLs, and a CRL past its nextUpdate refuses every
// signer, so the development CRL is remade whenever it is missing, unreadable or within a
// week of its nextUpdate (dev-setup runs at every ./ops/run). It revokes nothing.
void refresh_development_crl(const signing::Pki& pki, const Defaults& defaults) {
  using namespace std::chrono;
  const auto crl = defaults.crl();
  std::optional<system_clock::time_point> next_update;
  try {
    if (std::filesystem::exists(crl)) next_update = signing::Pki::next_update_of(crl).value_or(system_clock::time_point::max());
  } catch (const std::exception&) {
    // unreadable: remade below
  }
  if (next_update && *next_update - system_clock::now() > hours(24 * 7)) return;
  // Written beside and renamed over, so a gateway watching the file never sees it half-written.
  const auto fresh = pki.revoke({}, "ca.next", hours(24 * 30));
  std::filesystem::rename(fresh, crl);
  std::cout << (next_update ? "refreshed " : "issued ") << crl.string() << " (development CRL, next update in 30 days)\n";
}

// The development consumers: each destination of the built-in routes with its own key, and
// two observers of whole messages for the walkthrough (`tail`, `tail --name archive`).
const std::vector<bus::ConsumerGrant> kDevConsumers{
    {"monitoring", "", {"monitoring"}, false},         {"knowledge_base", "", {"knowledge_base"}, false},
    {"notification", "", {"notification"}, false},     {"tail", "", {}, true},
    {"archive", "", {}, true},
};

// var/bus 0700 from the start (mkdir's mode, not a chmod after), keys 0600 (curve_keys.h).
void make_bus_keys(const Defaults& defaults) {
  if (::mkdir(defaults.bus().c_str(), 0700) != 0 && errno != EEXIST)
    throw std::runtime_error("cannot create " + defaults.bus().string() + ": " + std::strerror(errno));
  const auto make_pair = [](const std::filesystem::path& prefix) {
    if (std::filesystem::exists(bus::public_key_file(prefix))) return false;
    bus::write_key_pair(prefix, bus::generate_curve_key_pair());
    return true;
  };
  if (make_pair(defaults.gateway_bus_key()))
    std::cout << "made the gateway's bus key " << bus::secret_key_file(defaults.gateway_bus_key()).string() << '\n';
  const bool fresh_file = !std::filesystem::exists(defaults.consumers());
  for (auto grant : kDevConsumers) {
    const bool made = make_pair(defaults.bus_key(grant.name));
    if (!made && !fresh_file) continue;  // registered already (or deliberately removed by an operator)
    grant.public_key = bus::read_public_key(bus::public_key_file(defaults.bus_key(grant.name)));
    if (std::filesystem::exists(defaults.consumers()) &&
        bus::ConsumerRegistry::load(defaults.consumers()).find_by_name(grant.name))
      continue;
    register_consumer(defaults.consumers(), grant);
    std::cout << "bus consumer " << grant.name << ": key " << bus::secret_key_file(defaults.bus_key(grant.name)).string()
              << ", registered in " << defaults.consumers().string() << '\n';
  }
}

// 24 random bytes as hex: the bearer token of the operators' listener (serve --ops-listen).
void make_operator_token(const Defaults& defaults) {
  if (std::filesystem::exists(defaults.ops_token())) return;
  std::ifstream random("/dev/urandom", std::ios::binary);
  unsigned char bytes[24];
  if (!random.read(reinterpret_cast<char*>(bytes), sizeof bytes)) throw std::runtime_error("cannot read /dev/urandom");
  std::string token;
  static constexpr char kHex[] = "0123456789abcdef";
  for (const unsigned char byte : bytes) token += {kHex[byte >> 4], kHex[byte & 15]};
  const int fd = ::open(defaults.ops_token().c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + defaults.ops_token().string());
  token += '\n';
  const bool written = ::write(fd, token.data(), token.size()) == static_cast<ssize_t>(token.size());
  ::close(fd);
  if (!written) throw std::runtime_error("cannot write " + defaults.ops_token().string());
  std::cout << "made the operator token " << defaults.ops_token().string() << " (for /metrics)\n";
}

}  // namespace

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
  refresh_development_crl(pki, defaults);
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
  make_bus_keys(defaults);
  make_operator_token(defaults);
  std::cout << "dev PKI: CA " << pki.ca_certificate().string() << ", CRL " << defaults.crl().string() << ", signer key " << defaults.provider_key().string()
            << ", certificate " << defaults.provider_certificate().string() << '\n';
  return 0;
}

}  // namespace stagegate::cli
