#pragma once
// How far fuzz inputs get into the verifier, printed at exit: edges ("cov:") only count
// stagegate's own code, not libxml2's c14n or xmlsec, which are not instrumented; this shows
// how many inputs reach them (the digest and signature-value checks) and pass.
#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "stagegate/signing/verifier.h"

namespace stagegate::fuzz {

class OutcomeTally {
 public:
  enum Outcome { Malformed, Shape, Certificate, Processing, Digest, SignatureValue, Verified, Count };

  void add(const Result<signing::VerifiedDocument>& result) { ++counts_[classify(result)]; }

  ~OutcomeTally() {
    std::size_t total = 0;
    for (const auto& count : counts_) total += count;
    if (total == 0) return;
    const std::size_t reached_xmlsec = counts_[Processing] + counts_[Digest] + counts_[SignatureValue] + counts_[Verified];
    std::fprintf(stderr,
                 "outcomes of %zu inputs: MALFORMED %zu, shape refused %zu, SIGNER_UNTRUSTED %zu, "
                 "xmlsec processing error %zu, digest mismatch %zu, signature value %zu, verified %zu; "
                 "reached xmlsec verification: %.1f%%\n",
                 total, counts_[Malformed].load(), counts_[Shape].load(), counts_[Certificate].load(),
                 counts_[Processing].load(), counts_[Digest].load(), counts_[SignatureValue].load(),
                 counts_[Verified].load(), 100.0 * static_cast<double>(reached_xmlsec) / static_cast<double>(total));
  }

 private:
  static Outcome classify(const Result<signing::VerifiedDocument>& result) {
    if (result) return Verified;
    const auto& refusal = result.refusal();
    if (refusal.code == Code::Malformed) return Malformed;
    if (refusal.code == Code::SignerUntrusted) return Certificate;
    if (refusal.reason.starts_with("digest mismatch")) return Digest;
    if (refusal.reason.starts_with("signature value")) return SignatureValue;
    if (refusal.reason.starts_with("signature could not be processed")) return Processing;
    return Shape;
  }

  std::array<std::atomic<std::size_t>, Count> counts_{};
};

}  // namespace stagegate::fuzz
