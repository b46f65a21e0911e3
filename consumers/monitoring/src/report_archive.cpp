#include "stagegate/monitoring/report_archive.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "stagegate/core/clock.h"

namespace stagegate::monitoring {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertificateFree {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct DigestFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Certificate = std::unique_ptr<X509, CertificateFree>;
using DigestContext = std::unique_ptr<EVP_MD_CTX, DigestFree>;

std::optional<std::string> read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Bio memory_bio(const std::string& text) { return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))); }

std::string hex_sha256(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  std::string hex;
  char pair[3];
  for (unsigned int i = 0; i < size; ++i) {
    std::snprintf(pair, sizeof pair, "%02x", digest[i]);
    hex += pair;
  }
  return hex;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(written));
  return out;
}

std::optional<std::string> unbase64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  const int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                      reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (written < 0) return std::nullopt;
  std::size_t padding = 0;
  for (auto at = text.rbegin(); at != text.rend() && *at == '='; ++at) ++padding;
  out.resize(static_cast<std::size_t>(written) - padding);
  return out;
}

std::optional<std::string> sign(const std::string& bytes, EVP_PKEY* key) {
  DigestContext context(EVP_MD_CTX_new());
  std::size_t size = 0;
  if (!context || EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(context.get(), nullptr, &size, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) != 1)
    return std::nullopt;
  std::string signature(size, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) != 1)
    return std::nullopt;
  signature.resize(size);
  return signature;
}

bool verifies(const std::string& bytes, const std::string& signature, EVP_PKEY* key) {
  DigestContext context(EVP_MD_CTX_new());
  return context && EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) == 1;
}

}  // namespace

ReportArchive::ReportArchive(std::filesystem::path directory) : directory_(std::move(directory)) {}

std::filesystem::path ReportArchive::file_of(const std::string& month) const {
  return directory_ / ("violations-" + month + ".issued.json");
}

Result<IssuedReport> ReportArchive::issue(const std::string& month, const std::string& report,
                                          const std::filesystem::path& key_file,
                                          const std::filesystem::path& certificate_file) const {
  const auto key_pem = read_file(key_file);
  const auto certificate_pem = read_file(certificate_file);
  if (!key_pem || !certificate_pem)
    return refuse(Code::Internal, "cannot read the signing key " + key_file.string() + " or certificate " +
                                      certificate_file.string());
  auto key_bio = memory_bio(*key_pem);
  Key key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  auto certificate_bio = memory_bio(*certificate_pem);
  Certificate certificate(PEM_read_bio_X509(certificate_bio.get(), nullptr, nullptr, nullptr));
  if (!key || !certificate) return refuse(Code::Internal, "the signing key or certificate is not PEM");
  if (X509_check_private_key(certificate.get(), key.get()) != 1)
    return refuse(Code::Internal, certificate_file.string() + " is not the certificate of " + key_file.string());

  IssuedReport issued;
  issued.month = month;
  issued.issued_at = now_utc();
  issued.report = report;
  issued.sha256 = hex_sha256(report);
  const auto signature = sign(report, key.get());
  if (!signature) return refuse(Code::Internal, "signing the report failed");
  issued.signature = base64(*signature);
  issued.certificate = *certificate_pem;

  const nlohmann::json envelope{{"schema", "stagegate.issued-report/1"}, {"month", month},
                                {"issuedAt", issued.issued_at},         {"sha256", issued.sha256},
                                {"signature", issued.signature},        {"certificate", issued.certificate},
                                {"report", issued.report}};
  std::filesystem::create_directories(directory_);
  // Written beside, then linked into place: link() fails when the month's file exists, so a
  // report is issued once even when two operators issue at the same moment.
  const auto final_file = file_of(month);
  const auto temporary = final_file.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << envelope.dump(2) << '\n';
    out.flush();
    if (!out) return refuse(Code::Internal, "cannot write " + temporary);
  }
  const int linked = ::link(temporary.c_str(), final_file.c_str());
  const int link_error = errno;
  std::filesystem::remove(temporary);
  if (linked != 0) {
    if (link_error == EEXIST) {
      auto existing = find(month);
      const std::string when = existing && existing.value() ? " at " + existing.value()->issued_at : std::string();
      return refuse(Code::DataInvalid, month + " was issued" + when + "; an issued report is never replaced (" +
                                           final_file.string() + ")");
    }
    return refuse(Code::Internal, "cannot create " + final_file.string());
  }
  return issued;
}

Result<std::optional<IssuedReport>> ReportArchive::find(const std::string& month) const {
  const auto file = file_of(month);
  const auto text = read_file(file);
  if (!text) return std::optional<IssuedReport>();
  const auto envelope = nlohmann::json::parse(*text, nullptr, false);
  if (envelope.is_discarded() || !envelope.is_object()) return refuse(Code::Malformed, file.string() + ": not JSON");
  IssuedReport issued;
  try {
    issued.month = envelope.at("month").get<std::string>();
    issued.issued_at = envelope.at("issuedAt").get<std::string>();
    issued.report = envelope.at("report").get<std::string>();
    issued.sha256 = envelope.at("sha256").get<std::string>();
    issued.signature = envelope.at("signature").get<std::string>();
    issued.certificate = envelope.at("certificate").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return refuse(Code::Malformed, file.string() + ": not an issued report");
  }
  return std::optional<IssuedReport>(std::move(issued));
}

Status verify_issued_report(const IssuedReport& issued) {
  if (hex_sha256(issued.report) != issued.sha256)
    return refuse(Code::SignatureInvalid, "the report's bytes do not match its SHA-256");
  auto certificate_bio = memory_bio(issued.certificate);
  Certificate certificate(PEM_read_bio_X509(certificate_bio.get(), nullptr, nullptr, nullptr));
  if (!certificate) return refuse(Code::SignatureInvalid, "the signer certificate is not PEM");
  Key key(X509_get_pubkey(certificate.get()));
  const auto signature = unbase64(issued.signature);
  if (!key || !signature || !verifies(issued.report, *signature, key.get()))
    return refuse(Code::SignatureInvalid, "the signature does not verify with the stored certificate");
  return proceed();
}

}  // namespace stagegate::monitoring
