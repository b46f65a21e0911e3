#pragma once
// Consumers never keep a citizen's ИИН (or an organisation's БИН) in clear: they keep
// HMAC-SHA256(secret, number) with a secret of this installation, enough to match a caller's
// ИИН to an application (knowledge base) or an imported contact to a stage message and say
// "the same citizen" (notification).
#include <filesystem>
#include <string>

namespace stagegate::consumers {

class PersonalNumberKey {
 public:
  // Reads the secret (hex, one line, at least 32 characters) from `file`, creating it with 32
  // random bytes and mode 0600 (O_EXCL: two consumers starting at once never overwrite each
  // other's) when it does not exist. Throws std::runtime_error when it cannot.
  static PersonalNumberKey load_or_create(const std::filesystem::path& file);
  explicit PersonalNumberKey(std::string secret);

  // Lowercase hex of HMAC-SHA256(secret, number).
  std::string digest(const std::string& number) const;
  // Whether digest(number) equals `stored`, compared in constant time.
  bool matches(const std::string& number, const std::string& stored) const;

 private:
  std::string secret_;
};

// Compares two strings in time that depends on their length only.
bool equal_in_constant_time(const std::string& a, const std::string& b);

// Lowercase hex SHA-256 (deterministic identifiers, e.g. Message-IDs).
std::string sha256_hex(const std::string& text);

}  // namespace stagegate::consumers
