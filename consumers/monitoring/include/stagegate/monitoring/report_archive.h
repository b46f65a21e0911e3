#pragma once
// Issued monthly reports, frozen (seed 002, item 12: the report goes to the authorized body by
// the 15th; what was sent must not change underneath it). One file a month in a directory,
// created once and atomically: the report's exact JSON bytes, their SHA-256, a signature over
// them with the gateway's key and the certificate to check it with. Data that arrives later
// shows as corrections against the frozen figures, never as a silent change.
#include <filesystem>
#include <optional>
#include <string>

#include "stagegate/core/result.h"

namespace stagegate::monitoring {

struct IssuedReport {
  std::string month;        // YYYY-MM
  std::string issued_at;    // UTC
  std::string report;       // the frozen stagegate.violations/2 JSON, byte for byte
  std::string sha256;       // lowercase hex of `report`
  std::string signature;    // base64, over `report` with SHA-256 (RSA PKCS#1 v1.5 or ECDSA)
  std::string certificate;  // PEM of the key that signed
};

class ReportArchive {
 public:
  explicit ReportArchive(std::filesystem::path directory);

  // Signs and stores `report` as `month`'s. DATA_INVALID when the month was issued already,
  // INTERNAL when the key or certificate cannot be read or do not belong together.
  Result<IssuedReport> issue(const std::string& month, const std::string& report, const std::filesystem::path& key,
                             const std::filesystem::path& certificate) const;
  // Nothing when the month was not issued; MALFORMED when its file is damaged.
  Result<std::optional<IssuedReport>> find(const std::string& month) const;
  std::filesystem::path file_of(const std::string& month) const;

 private:
  std::filesystem::path directory_;
};

// SIGNATURE_INVALID when the hash or the signature does not match the report bytes.
Status verify_issued_report(const IssuedReport& issued);

}  // namespace stagegate::monitoring
