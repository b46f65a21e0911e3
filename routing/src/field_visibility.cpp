#include "field_visibility.h"

#include "known_fields.h"

namespace stagegate::routing {
namespace {

std::string_view parent_of(std::string_view path) {
  const auto dot = path.find('.');
  return dot == std::string_view::npos ? std::string_view() : path.substr(0, dot);
}

}  // namespace

bool is_known_field(std::string_view path) { return known_field(path).has_value(); }

void FieldVisibility::resolve() {
  shown_fields_ = 0;
  for (std::size_t i = 0; i < kKnownFieldPaths.size(); ++i)
    if (shown(kKnownFieldPaths[i])) shown_fields_ |= bit_of(static_cast<KnownField>(i));
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
