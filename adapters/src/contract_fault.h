#pragma once
// SOAP faults in the contract's shape: detail SendMessageFault1_SendMessageFault (ErrorInfo).
#include <string_view>

#include "stagegate/core/refusal.h"

struct soap;

namespace stagegate::adapters {

// Fills soap->fault for a refusal and returns SOAP_FAULT, for a service operation to return.
int contract_fault(soap* ctx, const Refusal& refusal);

// Makes gSOAP's own errors (XML syntax, limits, DTD, unknown operation) leave as contract
// faults too: MALFORMED for what the client sent, INTERNAL for anything else.
void install_contract_fault_hook(soap* ctx);

}  // namespace stagegate::adapters
