#include "stagegate/knowledge_base/service_info.h"

#include <nlohmann/json.hpp>

namespace stagegate::knowledge_base {

Result<ServiceInfo> parse_service_info(const std::string& text) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return refuse(Code::Malformed, "not JSON");
  if (json.value("schema", "") != "stagegate.kb/1") return refuse(Code::Malformed, "not a stagegate.kb/1 message");
  try {
    ServiceInfo info;
    info.registry_number = json.at("registryNumber").get<std::string>();
    info.name_kk = json.at("name").at("kk").get<std::string>();
    info.name_ru = json.at("name").at("ru").get<std::string>();
    info.standard = json.at("standard").get<std::string>();
    info.regulation = json.at("regulation").get<std::string>();
    info.legal_changes = json.value("legalChanges", "");
    info.url = json.at("url").get<std::string>();
    const auto& responsible = json.at("responsible");
    info.responsible_name = responsible.at("fullName").get<std::string>();
    info.responsible_position = responsible.at("position").get<std::string>();
    info.responsible_phone = responsible.at("phone").get<std::string>();
    info.responsible_email = responsible.at("email").get<std::string>();
    info.body_bin = json.at("body").at("bin").get<std::string>();
    info.body_name = json.at("body").at("name").get<std::string>();
    if (info.registry_number.empty() || info.body_bin.empty())
      return refuse(Code::Malformed, "service information without registryNumber or body.bin");
    return info;
  } catch (const nlohmann::json::exception& error) {
    return refuse(Code::Malformed, std::string("service information: ") + error.what());
  }
}

}  // namespace stagegate::knowledge_base
