// The verifier entry point, trusting the committed test PKI: every input is either
// verified (and then its canonical bytes are non-empty XML) or refused with a code; and our
// exclusive c14n writes what libxml2's does on it, or declines.
#include <libxml/xmlerror.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "outcome_tally.h"
#include "support/c14n_differential.h"
#include "stagegate/signing/verifier.h"

extern "C" void ignore_libxml2_message(void*, const char*, ...) {}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // libxml2 prints every c14n failure (relative namespace URIs...) of the comparison below;
  // the outcomes say enough.
  xmlSetGenericErrorFunc(nullptr, ignore_libxml2_message);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto verifier = stagegate::signing::Verifier::create(stagegate::signing::TrustConfig{
      {STAGEGATE_TEST_DATA "/pki/ca.pem"}, {STAGEGATE_TEST_DATA "/pki/ca.crl.pem"}});
  const auto result = verifier.verify(std::string_view(reinterpret_cast<const char*>(data), size));
  static stagegate::fuzz::OutcomeTally tally;
  tally.add(result);
  if (result && (result->canonical_xml.empty() || result->canonical_xml.front() != '<'))
    throw std::logic_error("verified document without canonical XML");
  if (!result && result.refusal().code == stagegate::Code::Internal)
    throw std::logic_error("internal error on untrusted input: " + result.refusal().reason);
  if (const auto disagreement = stagegate::test::c14n_disagreement(std::string_view(reinterpret_cast<const char*>(data), size));
      !disagreement.empty())
    throw std::logic_error("our exclusive c14n differs from libxml2's: " + disagreement);
  return 0;
}
