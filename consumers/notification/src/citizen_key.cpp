#include "stagegate/notification/citizen_key.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace stagegate::notification {
namespace {

std::string to_hex(const unsigned char* bytes, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    hex.push_back(digits[bytes[i] >> 4]);
    hex.push_back(digits[bytes[i] & 0xf]);
  }
  return hex;
}

}  // namespace

CitizenKeys::CitizenKeys(std::string secret) : secret_(std::move(secret)) {
  if (secret_.size() < 16) throw std::runtime_error("notification secret: at least 16 bytes needed");
}

CitizenKeys CitizenKeys::open_or_create(const std::filesystem::path& secret_file) {
  if (!std::filesystem::exists(secret_file)) {
    if (secret_file.has_parent_path()) std::filesystem::create_directories(secret_file.parent_path());
    unsigned char random[32];
    if (RAND_bytes(random, sizeof random) != 1) throw std::runtime_error("notification secret: no randomness");
    const auto old_mask = ::umask(077);
    std::ofstream out(secret_file);
    ::umask(old_mask);
    out << to_hex(random, sizeof random) << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + secret_file.string());
  }
  std::ifstream in(secret_file);
  std::stringstream content;
  content << in.rdbuf();
  std::string secret = content.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (!in && !in.eof()) throw std::runtime_error("cannot read " + secret_file.string());
  return CitizenKeys(secret);
}

std::string CitizenKeys::key_of(const std::string& number) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()), reinterpret_cast<const unsigned char*>(number.data()),
       number.size(), mac, &length);
  return to_hex(mac, length);
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  return to_hex(digest, length);
}

}  // namespace stagegate::notification
