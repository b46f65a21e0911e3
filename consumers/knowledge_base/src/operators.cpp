#include "stagegate/knowledge_base/operators.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "stagegate/knowledge_base/recipient_key.h"

namespace stagegate::knowledge_base {
namespace {

std::string hex_of(const unsigned char* bytes, std::size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  for (std::size_t i = 0; i < size; ++i) {
    hex += digits[bytes[i] >> 4];
    hex += digits[bytes[i] & 0x0f];
  }
  return hex;
}

std::map<std::string, std::string> read_hashes(const std::filesystem::path& file) {
  std::map<std::string, std::string> hashes;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    std::istringstream fields(line);
    std::string name, hash;
    if (fields >> name >> hash && hash.size() == 64) hashes[name] = hash;
  }
  return hashes;
}

}  // namespace

std::string sha256_hex(const std::string& text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  return hex_of(digest.data(), size);
}

OperatorRegistry::OperatorRegistry(std::filesystem::path file) : file_(std::move(file)) {}

void OperatorRegistry::reload_if_changed() const {
  std::error_code error;
  const auto modified = std::filesystem::last_write_time(file_, error);
  if (error) {
    hashes_.clear();  // no file: nobody may ask
    loaded_ = {};
    return;
  }
  if (modified == loaded_ && !hashes_.empty()) return;
  hashes_ = read_hashes(file_);
  loaded_ = modified;
}

std::optional<std::string> OperatorRegistry::authenticate(const std::string& token) const {
  if (token.empty()) return std::nullopt;
  const auto hash = sha256_hex(token);
  std::lock_guard lock(mutex_);
  reload_if_changed();
  std::optional<std::string> found;
  for (const auto& [name, stored] : hashes_)
    if (equal_in_constant_time(hash, stored) && !found) found = name;
  return found;
}

std::string OperatorRegistry::add(const std::filesystem::path& file, const std::string& name) {
  static const std::regex valid("[A-Za-z0-9._-]{1,64}");
  if (!std::regex_match(name, valid)) throw std::runtime_error("an operator name is 1-64 of A-Z a-z 0-9 . _ -");
  if (read_hashes(file).count(name)) throw std::runtime_error("operator " + name + " exists already");
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw std::runtime_error("no random bytes for the token");
  const auto token = hex_of(bytes.data(), bytes.size());
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  // 0600 whatever the umask: the hashes are the operators' credentials.
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot open " + file.string());
  const auto line = name + " " + sha256_hex(token) + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!written) throw std::runtime_error("cannot write " + file.string());
  return token;
}

}  // namespace stagegate::knowledge_base
