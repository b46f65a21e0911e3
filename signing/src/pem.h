#pragma once
// Reading and writing PEM files with OpenSSL; failures at startup throw std::runtime_error.
#include <filesystem>
#include <vector>

#include "handles.h"

namespace stagegate::signing {

// A file as itself; a directory as its *.pem, *.crt, *.cer and *.crl files in name order
// (how operators keep several anchors and CRLs). Throws when a directory has none, unless
// `may_be_empty` (a CRL directory waiting for its first CRL).
std::vector<std::filesystem::path> pem_files_at(const std::filesystem::path& file_or_directory, bool may_be_empty = false);

std::vector<Cert> read_certificates(const std::filesystem::path& file);  // one or more
std::vector<Crl> read_crls(const std::filesystem::path& file);
PKey read_private_key(const std::filesystem::path& file);
Cert read_certificate(const std::filesystem::path& file);
void write_certificate(const std::filesystem::path& file, X509* certificate);
void write_private_key(const std::filesystem::path& file, EVP_PKEY* key);  // mode 0600
void write_crl(const std::filesystem::path& file, X509_CRL* crl);

}  // namespace stagegate::signing
