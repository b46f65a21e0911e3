#include "stagegate/signing/provider_registry.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

namespace stagegate::signing {
namespace {

constexpr int kIterations = 10000;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (std::size_t i = 0; i < size; ++i) {
    hex += kHex[bytes[i] >> 4];
    hex += kHex[bytes[i] & 0xF];
  }
  return hex;
}

std::string from_hex(std::string_view hex) {
  std::string bytes;
  if (hex.size() % 2) return {};
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const auto nibble = [](char c) {
      return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    };
    const int high = nibble(hex[i]);
    const int low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) return {};
    bytes += static_cast<char>(high * 16 + low);
  }
  return bytes;
}

struct ParsedHash {
  int iterations = 0;
  std::string salt;
  std::string hash;
};

bool parse_hash(std::string_view text, ParsedHash& out) {
  // pbkdf2-sha256$<iterations>$<salt-hex>$<hash-hex>
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in{std::string(text)};
  while (std::getline(in, part, '$')) parts.push_back(part);
  if (parts.size() != 4 || parts[0] != "pbkdf2-sha256") return false;
  try {
    out.iterations = std::stoi(parts[1]);
  } catch (const std::exception&) {
    return false;
  }
  out.salt = from_hex(parts[2]);
  out.hash = from_hex(parts[3]);
  return out.iterations >= 1000 && !out.salt.empty() && out.hash.size() == kHashBytes;
}

std::string derive(std::string_view password, const std::string& salt, int iterations) {
  unsigned char derived[kHashBytes];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                    EVP_sha256(), kHashBytes, derived);
  return std::string(reinterpret_cast<const char*>(derived), kHashBytes);
}

std::string normalized_fingerprint(std::string_view text) {
  std::string hex;
  for (const char c : text)
    if (c != ':') hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return hex;
}

// %XX escapes, so that a subject with spaces is one whitespace-separated field.
std::optional<std::string> percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const auto byte = from_hex(normalized_fingerprint(text.substr(i + 1, 2)));
    if (byte.size() != 1) return std::nullopt;
    out += byte;
    i += 2;
  }
  return out;
}

std::string percent_encoded(std::string_view text) {
  std::string out;
  for (const char c : text) out += c == '%' ? "%25" : c == ' ' ? "%20" : c == '\t' ? "%09" : std::string(1, c);
  return out;
}

// The optional key=value fields after the services; false on an unknown or malformed one.
bool parse_binding(const std::string& field, Provider& provider) {
  if (field.starts_with("tls-sha256=")) {
    std::istringstream list(field.substr(11));
    for (std::string hex; std::getline(list, hex, ',');) {
      hex = normalized_fingerprint(hex);
      if (hex.size() != 64 || from_hex(hex).size() != 32) return false;
      provider.tls_fingerprints.push_back(hex);
    }
    return !provider.tls_fingerprints.empty();
  }
  if (field.starts_with("tls-subject=")) {
    const auto subject = percent_decoded(std::string_view(field).substr(12));
    if (!subject || subject->empty()) return false;
    provider.tls_subject = *subject;
    return true;
  }
  return false;
}

bool valid_bin_shape(const std::string& bin) {
  return bin.size() == 12 && bin.find_first_not_of("0123456789") == std::string::npos;
}

}  // namespace

struct ProviderRegistry::AcceptedPasswords {
  std::mutex mutex;
  std::map<std::string, std::string> fast_hash_by_sender;  // SHA-256(salt || password) last accepted
};

ProviderRegistry::ProviderRegistry() : accepted_(std::make_shared<AcceptedPasswords>()) {}

ProviderRegistry ProviderRegistry::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read provider registry " + file.string());
  ProviderRegistry registry;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const auto hash_mark = line.find('#');
    if (hash_mark != std::string::npos) line.erase(hash_mark);
    std::istringstream fields(line);
    Entry entry;
    std::string password_hash;
    std::string services;
    if (!(fields >> entry.provider.sender_id)) continue;  // blank or comment
    if (!(fields >> entry.provider.bin >> password_hash >> services))
      throw std::runtime_error(file.string() + ":" + std::to_string(number) +
                               ": expected <senderId> <bin> <password-hash> <serviceId,...> [tls-sha256=...] [tls-subject=...]");
    for (std::string extra; fields >> extra;)
      if (!parse_binding(extra, entry.provider))
        throw std::runtime_error(file.string() + ":" + std::to_string(number) + ": bad field " + extra.substr(0, 40) +
                                 " (expected tls-sha256=<hex>[,<hex>] or tls-subject=<RFC 2253, spaces as %20>)");
    ParsedHash parsed;
    if (!valid_bin_shape(entry.provider.bin) || !parse_hash(password_hash, parsed))
      throw std::runtime_error(file.string() + ":" + std::to_string(number) + ": bad BIN or password hash");
    entry.iterations = parsed.iterations;
    entry.salt = std::move(parsed.salt);
    entry.hash = std::move(parsed.hash);
    std::istringstream list(services);
    for (std::string service; std::getline(list, service, ',');)
      if (!service.empty()) entry.provider.services.push_back(service);
    for (const auto& known : registry.entries_)
      if (known.provider.sender_id == entry.provider.sender_id)
        throw std::runtime_error(file.string() + ":" + std::to_string(number) + ": sender " +
                                 entry.provider.sender_id + " appears twice");
    registry.entries_.push_back(std::move(entry));
  }
  return registry;
}

ProviderRegistry ProviderRegistry::from_providers(std::vector<std::pair<Provider, std::string>> providers_with_hash) {
  ProviderRegistry registry;
  for (auto& [provider, hash] : providers_with_hash) registry.entries_.push_back(entry_for(std::move(provider), std::move(hash)));
  return registry;
}

ProviderRegistry::Entry ProviderRegistry::entry_for(Provider provider, std::string_view password_hash) {
  ParsedHash parsed;
  parse_hash(password_hash, parsed);  // a hash that does not parse matches no password
  return Entry{std::move(provider), parsed.iterations, std::move(parsed.salt), std::move(parsed.hash)};
}

Result<Provider> ProviderRegistry::authenticate(std::string_view sender_id, std::string_view password) const {
  static const Entry kDummy = entry_for(Provider{}, hash_password("no such sender"));
  // Fetched once: EVP_sha256() makes OpenSSL 3 look the implementation up on every call.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  const Entry* found = nullptr;
  for (const auto& entry : entries_)
    if (entry.provider.sender_id == sender_id) found = &entry;
  const Entry& hashed = found ? *found : kDummy;

  // PBKDF2 costs milliseconds; a password already accepted is recognised by a salted SHA-256.
  unsigned char fast[EVP_MAX_MD_SIZE];
  unsigned int fast_size = 0;
  std::string salted;
  salted.reserve(hashed.salt.size() + password.size());
  salted.append(hashed.salt).append(password);
  if (EVP_Digest(salted.data(), salted.size(), fast, &fast_size, kSha256 ? kSha256 : EVP_sha256(), nullptr) != 1)
    return refuse(Code::Internal, "password check: SHA-256 unavailable");
  const std::string fast_hash(reinterpret_cast<const char*>(fast), fast_size);
  if (found) {
    std::lock_guard lock(accepted_->mutex);
    const auto known = accepted_->fast_hash_by_sender.find(found->provider.sender_id);
    if (known != accepted_->fast_hash_by_sender.end() && known->second.size() == fast_hash.size() &&
        CRYPTO_memcmp(known->second.data(), fast_hash.data(), fast_hash.size()) == 0)
      return found->provider;
  }
  // Unknown senders pay the same derivation, so timing does not tell which senders exist.
  const auto derived = derive(password, hashed.salt, hashed.iterations);
  const bool match = found && hashed.hash.size() == kHashBytes && CRYPTO_memcmp(derived.data(), hashed.hash.data(), kHashBytes) == 0;
  if (!match) return refuse(Code::SenderAuth, "unknown senderId or wrong password");
  std::lock_guard lock(accepted_->mutex);
  accepted_->fast_hash_by_sender[found->provider.sender_id] = fast_hash;
  return found->provider;
}

std::string ProviderRegistry::hash_password(std::string_view password) {
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("no randomness for a password salt");
  const std::string salt_bytes(reinterpret_cast<const char*>(salt), sizeof salt);
  const auto derived = derive(password, salt_bytes, kIterations);
  return "pbkdf2-sha256$" + std::to_string(kIterations) + "$" + to_hex(salt, sizeof salt) + "$" +
         to_hex(reinterpret_cast<const unsigned char*>(derived.data()), derived.size());
}

std::string ProviderRegistry::format_line(const Provider& provider, std::string_view password) {
  std::string services;
  for (const auto& service : provider.services) services += (services.empty() ? "" : ",") + service;
  std::string line = provider.sender_id + " " + provider.bin + " " + hash_password(password) + " " + services;
  if (!provider.tls_fingerprints.empty()) {
    line += " tls-sha256=";
    for (std::size_t i = 0; i < provider.tls_fingerprints.size(); ++i) line += (i ? "," : "") + provider.tls_fingerprints[i];
  }
  if (!provider.tls_subject.empty()) line += " tls-subject=" + percent_encoded(provider.tls_subject);
  return line;
}

Status check_client_certificate(const Provider& provider, const std::optional<ClientCertificate>& presented) {
  if (provider.tls_fingerprints.empty() && provider.tls_subject.empty()) return proceed();
  if (!presented) return refuse(Code::SenderAuth, "sender is bound to a TLS client certificate; the request came without one");
  const auto& allowed = provider.tls_fingerprints;
  if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), normalized_fingerprint(presented->fingerprint_sha256)) == allowed.end())
    return refuse(Code::SenderAuth, "the TLS client certificate is not the one bound to this sender");
  if (!provider.tls_subject.empty() && provider.tls_subject != presented->subject)
    return refuse(Code::SenderAuth, "the TLS client certificate's subject is not the one bound to this sender");
  return proceed();
}

}  // namespace stagegate::signing
