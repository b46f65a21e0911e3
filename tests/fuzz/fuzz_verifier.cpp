// The verifier entry point, trusting the committed test PKI: every input is either
// verified (and then its canonical bytes are non-empty XML) or refused with a code.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "outcome_tally.h"
#include "stagegate/signing/verifier.h"

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
  return 0;
}
