#pragma once
// CURVE key pairs for the bus (ZeroMQ CurveZMQ), in Z85 text (40 characters per key).
// A key file holds one key and a newline: PREFIX.key the secret key, created 0600 and
// never widened afterwards, PREFIX.pub the public key, safe to hand out.
#include <filesystem>
#include <string>
#include <string_view>

namespace stagegate::bus {

inline constexpr std::size_t kZ85KeyLength = 40;

struct CurveKeyPair {
  std::string public_key;  // Z85
  std::string secret_key;  // Z85
};

// A fresh pair from libsodium's randomness. Throws std::runtime_error when libzmq has no CURVE.
CurveKeyPair generate_curve_key_pair();

// True when `text` is 40 Z85 characters that decode to a 32-byte key.
bool is_z85_key(std::string_view text);

// The public key that belongs to a secret key. Throws std::runtime_error on a malformed key.
std::string derive_public_key(const std::string& secret_key_z85);

// Writes PREFIX.key (O_CREAT|O_EXCL, mode 0600) and PREFIX.pub (0644). Refuses (throws
// std::runtime_error) when either exists: a key is never overwritten.
void write_key_pair(const std::filesystem::path& prefix, const CurveKeyPair& pair);
std::filesystem::path secret_key_file(const std::filesystem::path& prefix);  // PREFIX.key
std::filesystem::path public_key_file(const std::filesystem::path& prefix);  // PREFIX.pub

// Read a key file back (trailing whitespace ignored). Throws std::runtime_error naming the
// file when it is missing or not a key, and, for a secret key, when group or others can
// read it (like ssh, a readable secret key is refused rather than trusted).
std::string read_secret_key(const std::filesystem::path& file);
std::string read_public_key(const std::filesystem::path& file);

}  // namespace stagegate::bus
