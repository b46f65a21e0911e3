#include "stagegate/bus/curve_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <zmq.h>

namespace stagegate::bus {
namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }
  // Closes now so that a failing close (a full disk) is reported.
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

void write_new_file(const std::filesystem::path& file, const std::string& content, mode_t mode) {
  FileDescriptor fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (fd.get() < 0) throw std::runtime_error("cannot create " + file.string() + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < content.size()) {
    const auto n = ::write(fd.get(), content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || !fd.close())
    throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
}

std::string read_key(const std::filesystem::path& file, const char* what) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + std::string(what) + " " + file.string());
  std::stringstream content;
  content << in.rdbuf();
  auto text = content.str();
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  if (!is_z85_key(text))
    throw std::runtime_error(file.string() + ": not a " + what + " (one Z85 key of 40 characters expected)");
  return text;
}

}  // namespace

CurveKeyPair generate_curve_key_pair() {
  std::array<char, kZ85KeyLength + 1> public_key{};
  std::array<char, kZ85KeyLength + 1> secret_key{};
  if (zmq_curve_keypair(public_key.data(), secret_key.data()) != 0)
    throw std::runtime_error(std::string("cannot make a CURVE key pair: ") + zmq_strerror(zmq_errno()));
  CurveKeyPair pair{public_key.data(), secret_key.data()};
  std::memset(secret_key.data(), 0, secret_key.size());
  return pair;
}

bool is_z85_key(std::string_view text) {
  if (text.size() != kZ85KeyLength) return false;
  const std::string terminated(text);
  std::array<std::uint8_t, 32> decoded{};
  return zmq_z85_decode(decoded.data(), terminated.c_str()) != nullptr;
}

std::string derive_public_key(const std::string& secret_key_z85) {
  if (!is_z85_key(secret_key_z85)) throw std::runtime_error("a CURVE secret key is 40 Z85 characters");
  std::array<char, kZ85KeyLength + 1> public_key{};
  if (zmq_curve_public(public_key.data(), secret_key_z85.c_str()) != 0)
    throw std::runtime_error(std::string("cannot derive the public key: ") + zmq_strerror(zmq_errno()));
  return public_key.data();
}

std::filesystem::path secret_key_file(const std::filesystem::path& prefix) { return prefix.string() + ".key"; }
std::filesystem::path public_key_file(const std::filesystem::path& prefix) { return prefix.string() + ".pub"; }

void write_key_pair(const std::filesystem::path& prefix, const CurveKeyPair& pair) {
  const auto secret = secret_key_file(prefix);
  const auto public_file = public_key_file(prefix);
  if (std::filesystem::exists(public_file)) throw std::runtime_error(public_file.string() + " exists; a key is never overwritten");
  write_new_file(secret, pair.secret_key + "\n", 0600);
  write_new_file(public_file, pair.public_key + "\n", 0644);
}

std::string read_secret_key(const std::filesystem::path& file) {
  struct stat status {};
  if (::stat(file.c_str(), &status) == 0 && (status.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    throw std::runtime_error(file.string() + " is accessible by group or others; a secret key must be 0600 (chmod 600 " +
                             file.string() + ")");
  return read_key(file, "CURVE secret key");
}

std::string read_public_key(const std::filesystem::path& file) { return read_key(file, "CURVE public key"); }

}  // namespace stagegate::bus
