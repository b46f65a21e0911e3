#include "stagegate/core/refusal.h"

#include <ostream>

namespace stagegate {

std::string_view contract_code(Code code) {
  switch (code) {
    case Code::SenderAuth: return "SENDER_AUTH";
    case Code::ServiceUnknown: return "SERVICE_UNKNOWN";
    case Code::Malformed: return "MALFORMED";
    case Code::Schema: return "SCHEMA";
    case Code::SignatureInvalid: return "SIGNATURE_INVALID";
    case Code::SignerUntrusted: return "SIGNER_UNTRUSTED";
    case Code::SignerNotAuthorized: return "SIGNER_NOT_AUTHORIZED";
    case Code::DataInvalid: return "DATA_INVALID";
    case Code::Overloaded: return "OVERLOADED";
    case Code::Internal: return "INTERNAL";
  }
  return "INTERNAL";
}

std::ostream& operator<<(std::ostream& out, Code code) { return out << contract_code(code); }

}  // namespace stagegate
