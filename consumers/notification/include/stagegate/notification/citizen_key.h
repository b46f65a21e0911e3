#pragma once
// The consumer never keeps a recipient's IIN/BIN in clear: contacts and the outbox are keyed
// by HMAC-SHA256 of the number with a secret of this installation, enough to match an
// imported contact to a stage message and to say "the same citizen" for idempotency.
#include <filesystem>
#include <string>

namespace stagegate::notification {

class CitizenKeys {
 public:
  // Reads the secret file (hex or raw bytes, at least 16 bytes); creates it with 32 random
  // bytes, owner-only, when missing. Throws std::runtime_error at startup on failure.
  static CitizenKeys open_or_create(const std::filesystem::path& secret_file);
  explicit CitizenKeys(std::string secret);

  // Lowercase hex HMAC-SHA256 of the 12-digit IIN or BIN.
  std::string key_of(const std::string& number) const;

 private:
  std::string secret_;
};

// Lowercase hex SHA-256, for deterministic Message-IDs.
std::string sha256_hex(const std::string& text);

}  // namespace stagegate::notification
