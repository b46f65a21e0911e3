#include "contract_fault.h"

#include <string>

#include "request_body_bound.h"
#include "soapH.h"
#include "stagegate/core/clock.h"

namespace stagegate::adapters {
namespace {

bool is_server_side(Code code) { return code == Code::Internal || code == Code::Overloaded; }

void attach_error_info(soap* ctx, Code code, std::string_view reason) {
  soap_faultdetail(ctx);  // allocates soap->fault->detail when missing
  if (!ctx->fault || !ctx->fault->detail) return;
  auto* info = soap_new_sc__ErrorInfo(ctx);
  info->errorCode = std::string(contract_code(code));
  info->errorMessage = std::string(reason);
  info->errorDate = now_utc();
  ctx->fault->detail->sc__SendMessageFault1_USCORESendMessageFault = info;
}

bool is_client_error(int error) {
  switch (error) {
    case SOAP_SYNTAX_ERROR:
    case SOAP_TAG_MISMATCH:
    case SOAP_NO_TAG:
    case SOAP_TYPE:
    case SOAP_OCCURS:
    case SOAP_LENGTH:
    case SOAP_LEVEL:
    case SOAP_EOM:
    case SOAP_NO_METHOD:
    case SOAP_VERSIONMISMATCH:
    case SOAP_NAMESPACE:
    case SOAP_UTF_ERROR:
    case SOAP_REQUIRED:
    case SOAP_PATTERN:
    case SOAP_END_TAG:
    case SOAP_NULL:
    case SOAP_NO_DATA:
    case SOAP_MOE:
    case SOAP_MUSTUNDERSTAND:
    case SOAP_PROHIBITED:
    case SOAP_DUPLICATE_ID:
    case SOAP_MISSING_ID:
    case SOAP_HREF:
    case SOAP_FIXED:
    case SOAP_EMPTY:
      return true;
    default:
      return false;
  }
}

void on_gsoap_error(soap* ctx, const char** /*faultcode*/, const char** faultstring) {
  if (ctx->fault && ctx->fault->detail && ctx->fault->detail->sc__SendMessageFault1_USCORESendMessageFault)
    return;
  const Code code = is_client_error(ctx->error) ? Code::Malformed : Code::Internal;
  std::string reason = faultstring && *faultstring ? *faultstring : "SOAP processing failed";
  if (ctx->error == SOAP_EOM) reason = "request exceeds the size limit";
  if (ctx->error == SOAP_LEVEL) reason = "XML nesting exceeds the depth limit";
  if (const auto* bound = RequestBodyBound::of(ctx); bound && bound->exhausted()) {
    static constexpr const char* kReason = "the envelope ends before its elements are closed (ill-formed XML)";
    if (faultstring) *faultstring = kReason;
    attach_error_info(ctx, Code::Malformed, kReason);
    return;
  }
  attach_error_info(ctx, code, reason);
}

}  // namespace

int contract_fault(soap* ctx, const Refusal& refusal) {
  const std::string reason = std::string(contract_code(refusal.code)) + ": " + refusal.reason;
  if (is_server_side(refusal.code))
    soap_receiver_fault(ctx, reason.c_str(), nullptr);
  else
    soap_sender_fault(ctx, reason.c_str(), nullptr);
  attach_error_info(ctx, refusal.code, refusal.reason);
  // Backpressure is an HTTP matter too: clients and proxies know 503 and Retry-After.
  if (refusal.code == Code::Overloaded)
    if (auto* request = RequestBodyBound::of(ctx)) request->respond_with(ctx, 503, "Retry-After: 5");
  return SOAP_FAULT;
}

void install_contract_fault_hook(soap* ctx) { ctx->fseterror = on_gsoap_error; }

}  // namespace stagegate::adapters
