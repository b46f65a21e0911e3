#include "stagegate/consumers/personal_number_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <stdexcept>

namespace stagegate::consumers {
namespace {

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    hex += digits[bytes[i] >> 4];
    hex += digits[bytes[i] & 0x0f];
  }
  return hex;
}

void create_secret(const std::filesystem::path& file) {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) throw std::runtime_error("no random bytes for the secret");
  const auto hex = to_hex(bytes.data(), bytes.size()) + "\n";
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  // O_EXCL: two consumers starting at once never overwrite each other's secret.
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return;
    throw std::runtime_error("cannot create " + file.string());
  }
  const bool written = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size());
  ::close(fd);
  if (!written) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace

PersonalNumberKey PersonalNumberKey::load_or_create(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) create_secret(file);
  std::ifstream in(file);
  std::string secret;
  if (!in || !std::getline(in, secret) || secret.size() < 32)
    throw std::runtime_error("the secret " + file.string() + " is unreadable or shorter than 32 characters");
  return PersonalNumberKey(secret);
}

PersonalNumberKey::PersonalNumberKey(std::string secret) : secret_(std::move(secret)) {
  if (secret_.empty()) throw std::invalid_argument("empty secret");
}

std::string PersonalNumberKey::digest(const std::string& number) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  if (!HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()), reinterpret_cast<const unsigned char*>(number.data()),
            number.size(), mac.data(), &size))
    throw std::runtime_error("HMAC-SHA256 failed");
  return to_hex(mac.data(), size);
}

bool PersonalNumberKey::matches(const std::string& number, const std::string& stored) const {
  return equal_in_constant_time(digest(number), stored);
}

std::string sha256_hex(const std::string& text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
  return to_hex(digest.data(), size);
}

bool equal_in_constant_time(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace stagegate::consumers
