#pragma once
// The knowledge base never keeps a recipient's ИИН (or БИН) in clear: it keeps
// HMAC-SHA256(secret, id), enough to check that a caller's ИИН matches an application.
#include <filesystem>
#include <string>

namespace stagegate::knowledge_base {

class RecipientKey {
 public:
  // Reads the secret (hex, one line) from `file`, creating it with 32 random bytes and mode
  // 0600 when it does not exist. Throws std::runtime_error when it cannot.
  static RecipientKey load_or_create(const std::filesystem::path& file);
  explicit RecipientKey(std::string secret);

  // Lowercase hex of HMAC-SHA256(secret, id).
  std::string digest(const std::string& id) const;
  // Whether digest(id) equals `stored`, compared in constant time.
  bool matches(const std::string& id, const std::string& stored) const;

 private:
  std::string secret_;
};

// Compares two strings in time that depends on their length only.
bool equal_in_constant_time(const std::string& a, const std::string& b);

}  // namespace stagegate::knowledge_base
