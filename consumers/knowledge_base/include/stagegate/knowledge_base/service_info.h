#pragma once
// The Appendix 1 service information form (seed 003) as the knowledge base keeps it, read
// from a stagegate.kb/1 message (docs/messages.md).
#include <string>

#include "stagegate/core/result.h"

namespace stagegate::knowledge_base {

struct ServiceInfo {
  std::string registry_number;  // e.g. Z22-74
  std::string name_kk;
  std::string name_ru;
  std::string standard;
  std::string regulation;
  std::string legal_changes;  // empty when not sent
  std::string url;
  std::string responsible_name;
  std::string responsible_position;
  std::string responsible_phone;
  std::string responsible_email;
  std::string body_bin;
  std::string body_name;
};

// MALFORMED when the payload is not a stagegate.kb/1 message with its required fields.
Result<ServiceInfo> parse_service_info(const std::string& json);

}  // namespace stagegate::knowledge_base
