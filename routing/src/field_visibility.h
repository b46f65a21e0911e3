#pragma once
// Which fields of a normalized message a destination may see, as paths of one or two
// levels ("recipient", "recipient.lastName"); "schema" is always kept.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "stagegate/routing/normalize.h"

namespace stagegate::routing {

// A path of stagegate.stage/1 or stagegate.kb/1 (docs/messages.md).
bool is_known_field(std::string_view path);

class FieldVisibility {
 public:
  void show(const std::string& path) {
    shown_.insert(path);
    resolve();
  }
  void hide(const std::string& path) {
    hidden_.insert(path);
    resolve();
  }
  bool shows_everything() const { return shown_.count("*") && hidden_.empty(); }
  bool shown(std::string_view path) const;  // a field's path, one or two levels
  // shown() of every known field, worked out when the rules are read: bit_of(field) set when shown.
  std::uint64_t shown_fields() const { return shown_fields_; }

 private:
  void resolve();
  std::set<std::string, std::less<>> shown_, hidden_;
  std::uint64_t shown_fields_ = 0;
};

// The filter route() hands the payload writer for a destination. to_json looks through the
// FieldFilter to this type (std::function::target) and tests one bit per field; anything else
// that is given the filter (project(), a test) asks it by path as before.
struct ResolvedVisibility {
  const FieldVisibility* visibility;
  bool operator()(std::string_view path) const { return visibility->shown(path); }
};

// The fields of a normalized message's JSON that `keep` keeps (paths as in to_json's filter);
// an object none of whose fields is kept is left out.
nlohmann::ordered_json project(const nlohmann::ordered_json& whole, const FieldFilter& keep);

}  // namespace stagegate::routing
