#include "field_visibility.h"

namespace stagegate::routing {
namespace {

constexpr std::string_view kKnownFields[] = {
    // stagegate.stage/1
    "schema", "applicationId", "service", "service.code", "service.name", "provider", "provider.bin",
    "provider.name", "recipient", "recipient.iin", "recipient.bin", "recipient.lastName", "recipient.firstName",
    "recipient.middleName", "receptionPlace", "receptionDate", "executor", "plannedDate", "executionDate", "stage",
    "stage.code", "stage.name", "stage.at", "outcome", "delayReason", "delayReason.kind", "delayReason.text", "receivedAt",
    // stagegate.kb/1
    "registryNumber", "name", "name.kk", "name.ru", "standard", "regulation", "legalChanges", "url", "responsible",
    "responsible.fullName", "responsible.position", "responsible.phone", "responsible.email", "body", "body.bin",
    "body.name"};

std::string_view parent_of(std::string_view path) {
  const auto dot = path.find('.');
  return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

}  // namespace

bool is_known_field(std::string_view path) {
  for (const auto known : kKnownFields)
    if (known == path) return true;
  return false;
}

bool FieldVisibility::shown(std::string_view path) const {
  const auto parent = parent_of(path);
  if (hidden_.count(path) || (!parent.empty() && hidden_.count(parent))) return false;
  return path == "schema" || shown_.count("*") || shown_.count(path) || (!parent.empty() && shown_.count(parent));
}

nlohmann::ordered_json project(const nlohmann::ordered_json& whole, const FieldFilter& keep) {
  auto visible = nlohmann::ordered_json::object();
  for (const auto& [key, value] : whole.items()) {
    if (!value.is_object()) {
      if (keep(key)) visible[key] = value;
      continue;
    }
    auto part = nlohmann::ordered_json::object();
    for (const auto& [child, child_value] : value.items())
      if (keep(key + "." + child)) part[child] = child_value;
    if (!part.empty()) visible[key] = std::move(part);
  }
  return visible;
}

}  // namespace stagegate::routing
