// `stagegate providers add|list|remove|passwd`: the provider registry without writing code.
#include <iostream>
#include <sstream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/defaults.h"
#include "cli/registry_file.h"
#include "stagegate/routing/normalize.h"
#include "stagegate/signing/provider_registry.h"

namespace stagegate::cli {
namespace {

constexpr const char* kProvidersUsage =
    "providers add SENDER --bin BIN --services ID[,ID...] [--tls-sha256 HEX]... [--tls-subject DN] [--password-stdin]\n"
    "          | list | remove SENDER | passwd SENDER [--password-stdin]   [--providers FILE | --var DIR]";

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> parts;
  std::istringstream list(text);
  for (std::string part; std::getline(list, part, ',');)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

bool valid_sender_id(const std::string& id) {
  if (id.empty() || id.size() > 128 || id.front() == '#') return false;
  for (const unsigned char c : id)
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '@')) return false;
  return true;
}

// The registry as the gateway will read it: a file it would refuse is never put in place.
void check_registry(const std::filesystem::path& file) { (void)signing::ProviderRegistry::load(file); }

// The fields of an existing line after the password hash, kept by passwd.
signing::Provider provider_of(const std::string& line) {
  std::istringstream fields(line.substr(0, line.find('#')));
  signing::Provider provider;
  std::string hash, services;
  fields >> provider.sender_id >> provider.bin >> hash >> services;
  provider.services = split_list(services);
  for (std::string extra; fields >> extra;) {
    if (extra.starts_with("tls-sha256=")) provider.tls_fingerprints = split_list(extra.substr(11));
  }
  return provider;
}

// passwd keeps every field but the hash, including tls-subject as written.
std::string with_new_hash(const std::string& line, const std::string& password) {
  std::istringstream fields(line.substr(0, line.find('#')));
  std::string sender, bin, hash, rest;
  fields >> sender >> bin >> hash;
  std::getline(fields, rest);
  return sender + " " + bin + " " + signing::ProviderRegistry::hash_password(password) + rest;
}

int add(const Arguments& args, const std::filesystem::path& file) {
  if (args.positional().size() != 2) throw UsageError(kProvidersUsage);
  signing::Provider provider;
  provider.sender_id = args.positional()[1];
  if (!valid_sender_id(provider.sender_id))
    throw UsageError("bad sender id " + provider.sender_id + " (letters, digits, - _ . @ up to 128)");
  provider.bin = args.required("bin");
  if (!routing::valid_iin_bin(provider.bin)) throw UsageError("bad BIN " + provider.bin + " (12 digits with a valid check digit)");
  provider.services = split_list(args.required("services"));
  if (provider.services.empty()) throw UsageError("--services needs at least one serviceId");
  for (const auto& fingerprints : args.all("tls-sha256"))
    for (const auto& fingerprint : split_list(fingerprints)) provider.tls_fingerprints.push_back(fingerprint);
  provider.tls_subject = args.get_or("tls-subject", "");
  auto lines = read_lines(file);
  if (find_entry(lines, provider.sender_id))
    throw std::runtime_error("sender " + provider.sender_id + " is already in " + file.string() + " (passwd changes its password)");
  if (lines.empty()) lines.push_back("# stagegate provider registry: senderId BIN password-hash serviceIds [tls-sha256=...] [tls-subject=...]");
  lines.push_back(signing::ProviderRegistry::format_line(provider, read_password(args.has("password-stdin"))));
  replace_atomically(file, lines, check_registry);
  std::cout << "registered sender " << provider.sender_id << " in " << file.string()
            << " (the gateway picks it up within its reload poll or on SIGHUP)\n";
  return 0;
}

int list(const std::filesystem::path& file) {
  std::cout << "sender\tbin\tservices\ttls\n";
  for (const auto& line : read_lines(file)) {
    if (first_field(line).empty()) continue;
    const auto provider = provider_of(line);
    std::string services;
    for (const auto& service : provider.services) services += (services.empty() ? "" : ",") + service;
    const bool subject = line.find(" tls-subject=") != std::string::npos;
    const std::string tls = provider.tls_fingerprints.empty() && !subject ? "-"
                            : std::to_string(provider.tls_fingerprints.size()) + " fingerprint(s)" + (subject ? ", subject" : "");
    std::cout << provider.sender_id << '\t' << provider.bin << '\t' << services << '\t' << tls << '\n';
  }
  return 0;
}

// The sender's line, or nothing after telling the operator it is not there.
std::optional<std::size_t> existing_entry(const std::vector<std::string>& lines, const std::string& sender,
                                          const std::filesystem::path& file) {
  const auto found = find_entry(lines, sender);
  if (!found) std::cerr << "stagegate providers: no sender " << sender << " in " << file.string() << '\n';
  return found;
}

int remove(const Arguments& args, const std::filesystem::path& file) {
  if (args.positional().size() != 2) throw UsageError(kProvidersUsage);
  auto lines = read_lines(file);
  const auto found = existing_entry(lines, args.positional()[1], file);
  if (!found) return 1;
  lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(*found));
  replace_atomically(file, lines, check_registry);
  std::cout << "removed sender " << args.positional()[1] << " from " << file.string() << '\n';
  return 0;
}

int passwd(const Arguments& args, const std::filesystem::path& file) {
  if (args.positional().size() != 2) throw UsageError(kProvidersUsage);
  auto lines = read_lines(file);
  const auto found = existing_entry(lines, args.positional()[1], file);
  if (!found) return 1;
  lines[*found] = with_new_hash(lines[*found], read_password(args.has("password-stdin")));
  replace_atomically(file, lines, check_registry);
  std::cout << "changed the password of " << args.positional()[1] << " in " << file.string() << '\n';
  return 0;
}

}  // namespace

int providers(int argc, char** argv) {
  const Arguments args(argc, argv, 2, {"password-stdin"});
  args.allow_only({"providers", "var", "bin", "services", "tls-sha256", "tls-subject", "password-stdin"});
  const Defaults defaults(args.get_or("var", "var"));
  const std::filesystem::path file = args.get_or("providers", defaults.providers().string());
  const auto action = args.positional().empty() ? std::string("list") : args.positional().front();
  if (action == "add") return add(args, file);
  if (action == "list") return list(file);
  if (action == "remove") return remove(args, file);
  if (action == "passwd") return passwd(args, file);
  throw UsageError(kProvidersUsage);
}

}  // namespace stagegate::cli
