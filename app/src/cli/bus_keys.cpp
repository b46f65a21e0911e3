#include "cli/bus_keys.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "cli/registry_file.h"
#include "stagegate/bus/consumer_registry.h"
#include "stagegate/bus/curve_keys.h"

namespace stagegate::cli {
namespace {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    const auto part = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) parts.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return parts;
}

void append_to_file(const std::filesystem::path& file, const std::string& text) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot open " + file.string() + ": " + std::strerror(errno));
  const auto written = ::write(fd, text.data(), text.size());
  const bool closed = ::close(fd) == 0;
  if (written != static_cast<ssize_t>(text.size()) || !closed) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace

bool loopback_endpoint(const std::string& endpoint) {
  if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) return true;
  for (const char* host : {"tcp://127.", "tcp://localhost:", "tcp://[::1]:"})
    if (endpoint.rfind(host, 0) == 0) return true;
  return false;
}

std::optional<bus::BusSecurity> server_bus_security(const Arguments& args, const Defaults& defaults,
                                                    const std::string& endpoint) {
  if (args.has("bus-plaintext")) {
    if (args.has("bus-key") || args.has("consumers")) throw UsageError("--bus-plaintext takes no --bus-key or --consumers");
    if (!loopback_endpoint(endpoint))
      throw UsageError("--bus-plaintext is only allowed on a loopback or ipc endpoint, not " + endpoint +
                       ": anyone who reaches it would read every message");
    return std::nullopt;
  }
  const auto key_file = args.get_or("bus-key", bus::secret_key_file(defaults.gateway_bus_key()).string());
  const auto consumers_file = args.get_or("consumers", defaults.consumers().string());
  if (!std::filesystem::exists(key_file))
    throw UsageError("no bus key " + key_file + ": run `stagegate dev-setup` or `stagegate keys new`, pass --bus-key, "
                     "or --bus-plaintext on a loopback endpoint");
  return bus::BusSecurity{bus::read_secret_key(key_file), consumers_file};
}

void apply_consumer_keys(const Arguments& args, const Defaults& defaults, const std::string& default_key,
                         bus::SubscriberConfig& config) {
  if (args.has("plaintext")) {
    if (args.has("key") || args.has("server-key")) throw UsageError("--plaintext takes no --key or --server-key");
    return;
  }
  const auto key_file = args.get_or("key", bus::secret_key_file(defaults.bus_key(default_key)).string());
  const auto server_key_file = args.get_or("server-key", bus::public_key_file(defaults.gateway_bus_key()).string());
  if (!std::filesystem::exists(key_file))
    throw UsageError("no consumer key " + key_file + ": pass --key FILE and --server-key FILE (see `stagegate keys new`), "
                     "--var DIR with the keys of `stagegate dev-setup`, or --plaintext for a gateway serving --bus-plaintext");
  config.secret_key = bus::read_secret_key(key_file);
  config.public_key = bus::derive_public_key(config.secret_key);
  config.server_public_key = bus::read_public_key(server_key_file);
}

std::string register_consumer(const std::filesystem::path& consumers_file, const bus::ConsumerGrant& grant) {
  if (!std::filesystem::exists(consumers_file))
    append_to_file(consumers_file, "# stagegate bus consumers: <name> <public-key-z85> <destinations comma-separated|-> [observe]\n");
  {
    const auto existing = bus::ConsumerRegistry::load(consumers_file);
    if (existing.find_by_name(grant.name))
      throw std::runtime_error("consumer " + grant.name + " is already in " + consumers_file.string());
  }
  const auto line = bus::ConsumerRegistry::format_line(grant);
  bus::ConsumerRegistry::parse(line, "the new line");  // the same checks as the gateway's
  append_to_file(consumers_file, line + "\n");
  return line;
}

int keys(int argc, char** argv) {
  const Arguments args(argc, argv, 2);
  args.allow_only({"out"});
  if (args.positional().size() != 1 || args.positional().front() != "new") throw UsageError("keys takes: new --out PREFIX");
  const std::filesystem::path prefix = args.required("out");
  const auto pair = bus::generate_curve_key_pair();
  bus::write_key_pair(prefix, pair);
  std::cout << "secret key " << bus::secret_key_file(prefix).string() << " (0600), public key "
            << bus::public_key_file(prefix).string() << ": " << pair.public_key << '\n';
  return 0;
}

int add_consumer(int argc, char** argv) {
  const Arguments args(argc, argv, 2, {"observe"});
  args.allow_only({"destinations", "observe", "out", "consumers", "var"});
  if (args.positional().size() != 2) throw UsageError("consumers add NAME --destinations a,b [--observe] --out PREFIX");
  const Defaults defaults(args.get_or("var", "var"));
  const std::filesystem::path prefix = args.required("out");
  bus::ConsumerGrant grant;
  grant.name = args.positional()[1];
  grant.destinations = split_commas(args.get_or("destinations", ""));
  grant.observe = args.has("observe");
  const std::filesystem::path consumers_file = args.get_or("consumers", defaults.consumers().string());
  // Checked before the key is made, so a mistake leaves nothing behind.
  if (std::filesystem::exists(consumers_file) && bus::ConsumerRegistry::load(consumers_file).find_by_name(grant.name))
    throw std::runtime_error("consumer " + grant.name + " is already in " + consumers_file.string());
  if (!bus::valid_consumer_name(grant.name))
    throw UsageError("bad consumer name " + grant.name + " (letters, digits, _ - . up to 64)");
  for (const auto& destination : grant.destinations)
    if (!bus::valid_consumer_name(destination)) throw UsageError("bad destination " + destination);
  if (grant.destinations.empty() && !grant.observe) throw UsageError("consumers add needs --destinations or --observe");
  const auto pair = bus::generate_curve_key_pair();
  bus::write_key_pair(prefix, pair);
  grant.public_key = pair.public_key;
  std::cout << "registered " << register_consumer(consumers_file, grant) << " in " << consumers_file.string()
            << "; secret key " << bus::secret_key_file(prefix).string()
            << " (the gateway picks it up within its reload poll or on SIGHUP)\n";
  return 0;
}

int remove_consumer(int argc, char** argv) {
  const Arguments args(argc, argv, 2);
  args.allow_only({"consumers", "var"});
  if (args.positional().size() != 2) throw UsageError("consumers remove NAME [--consumers FILE | --var DIR]");
  const Defaults defaults(args.get_or("var", "var"));
  const std::filesystem::path consumers_file = args.get_or("consumers", defaults.consumers().string());
  const auto& name = args.positional()[1];
  auto lines = read_lines(consumers_file);
  const auto found = find_entry(lines, name);
  if (!found) {
    std::cerr << "stagegate consumers: no consumer " << name << " in " << consumers_file.string() << '\n';
    return 1;
  }
  lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(*found));
  replace_atomically(consumers_file, lines, [](const std::filesystem::path& file) { (void)bus::ConsumerRegistry::load(file); });
  std::cout << "removed consumer " << name << " from " << consumers_file.string()
            << " (the gateway refuses its key from the next reload; `consumers forget " << name
            << "` drops its position in the journal)\n";
  return 0;
}

std::vector<std::string> registered_consumers(const std::filesystem::path& consumers_file) {
  std::vector<std::string> names;
  for (const auto& line : read_lines(consumers_file))
    if (auto name = first_field(line); !name.empty()) names.push_back(std::move(name));
  return names;
}

}  // namespace stagegate::cli
