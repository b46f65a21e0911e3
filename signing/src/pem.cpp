#include "pem.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace stagegate::signing {
namespace {

Bio open_for(const std::filesystem::path& file, const char* mode) {
  Bio bio(BIO_new_file(file.c_str(), mode));
  if (!bio) throw std::runtime_error("cannot open " + file.string());
  return bio;
}

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& file) {
  const auto code = ERR_get_error();
  char reason[256] = "";
  if (code) ERR_error_string_n(code, reason, sizeof reason);
  ERR_clear_error();
  throw std::runtime_error(what + " " + file.string() + (code ? std::string(": ") + reason : ""));
}

}  // namespace

std::vector<std::filesystem::path> pem_files_at(const std::filesystem::path& file_or_directory, bool may_be_empty) {
  std::error_code error;
  if (!std::filesystem::is_directory(file_or_directory, error)) return {file_or_directory};
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(file_or_directory)) {
    const auto extension = entry.path().extension();
    if (entry.is_regular_file() && (extension == ".pem" || extension == ".crt" || extension == ".cer" || extension == ".crl"))
      files.push_back(entry.path());
  }
  if (files.empty() && !may_be_empty) throw std::runtime_error("no .pem, .crt, .cer or .crl file in " + file_or_directory.string());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<Cert> read_certificates(const std::filesystem::path& file) {
  auto bio = open_for(file, "r");
  std::vector<Cert> certificates;
  while (X509* certificate = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    certificates.emplace_back(certificate);
  ERR_clear_error();  // the loop ends on "no start line"
  if (certificates.empty()) fail("no PEM certificate in", file);
  return certificates;
}

std::vector<Crl> read_crls(const std::filesystem::path& file) {
  auto bio = open_for(file, "r");
  std::vector<Crl> crls;
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) crls.emplace_back(crl);
  ERR_clear_error();
  if (crls.empty()) fail("no PEM CRL in", file);
  return crls;
}

PKey read_private_key(const std::filesystem::path& file) {
  auto bio = open_for(file, "r");
  PKey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) fail("no PEM private key in", file);
  return key;
}

Cert read_certificate(const std::filesystem::path& file) { return std::move(read_certificates(file).front()); }

void write_certificate(const std::filesystem::path& file, X509* certificate) {
  auto bio = open_for(file, "w");
  if (!PEM_write_bio_X509(bio.get(), certificate)) fail("cannot write", file);
}

void write_private_key(const std::filesystem::path& file, EVP_PKEY* key) {
  // Created 0600 in one step: a key chmod'ed after creation is readable by anyone in between.
  // A key file left over is replaced, not reused with whatever mode it had.
  ::unlink(file.c_str());
  const int descriptor = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (descriptor < 0) throw std::runtime_error("cannot create " + file.string() + ": " + std::strerror(errno));
  Bio bio(BIO_new_fd(descriptor, BIO_CLOSE));
  if (!bio) {
    ::close(descriptor);
    fail("cannot write", file);
  }
  if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) || BIO_flush(bio.get()) != 1)
    fail("cannot write", file);
}

void write_crl(const std::filesystem::path& file, X509_CRL* crl) {
  auto bio = open_for(file, "w");
  if (!PEM_write_bio_X509_CRL(bio.get(), crl)) fail("cannot write", file);
}

}  // namespace stagegate::signing
