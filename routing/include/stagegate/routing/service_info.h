#pragma once
// The normalized service information form (CONTRACT.md section 3, seed 003 Appendix 1).
#include <string>

namespace stagegate::routing {

struct ServiceInfo {
  std::string registry_number;
  std::string name_kk;
  std::string name_ru;
  std::string standard;
  std::string regulation;
  std::string legal_changes;
  std::string url;
  std::string responsible_full_name;
  std::string responsible_position;
  std::string responsible_phone;
  std::string responsible_email;
  std::string body_bin;
  std::string body_name;
};

}  // namespace stagegate::routing
