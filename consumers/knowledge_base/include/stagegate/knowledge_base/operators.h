#pragma once
// Contact-center operators of the lookup endpoint. The file (var/kb-operators.conf) has one
// operator a line, `name sha256-hex-of-token`; the token itself is shown once, when added.
// It is read again when it changes, so operators are added or removed without a restart.
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace stagegate::knowledge_base {

class OperatorRegistry {
 public:
  explicit OperatorRegistry(std::filesystem::path file);

  // The operator whose token this is; nothing for an unknown token. Every known hash is
  // compared (in constant time) whatever matches first.
  std::optional<std::string> authenticate(const std::string& token) const;

  // Appends NAME with a new random token and returns the token. Throws std::runtime_error
  // (name taken, not [A-Za-z0-9._-]{1,64}, or I/O).
  static std::string add(const std::filesystem::path& file, const std::string& name);

 private:
  void reload_if_changed() const;

  std::filesystem::path file_;
  mutable std::mutex mutex_;
  mutable std::filesystem::file_time_type loaded_{};
  mutable std::map<std::string, std::string> hashes_;  // name -> sha256 hex
};

std::string sha256_hex(const std::string& text);

}  // namespace stagegate::knowledge_base
