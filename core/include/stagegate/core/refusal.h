#pragma once
// The refusal codes of CONTRACT.md section 5 and the value that carries one.
#include <iosfwd>
#include <string>
#include <string_view>

namespace stagegate {

enum class Code {
  SenderAuth,
  ServiceUnknown,
  Malformed,
  Schema,
  SignatureInvalid,
  SignerUntrusted,
  SignerNotAuthorized,
  DataInvalid,
  Overloaded,
  Internal,
};

// The wire spelling, e.g. "SIGNATURE_INVALID".
std::string_view contract_code(Code code);
std::ostream& operator<<(std::ostream& out, Code code);

// An expected failure: a CONTRACT.md code and a reason an integrator can act on.
// Reasons never carry personal data (names, IIN/BIN of recipients).
struct Refusal {
  Code code;
  std::string reason;
};

}  // namespace stagegate
