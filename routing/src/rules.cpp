#include "stagegate/routing/rules.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "field_visibility.h"
#include "stagegate/routing/normalize.h"

namespace stagegate::routing {
namespace {

constexpr std::int64_t kFormat = 1;
constexpr std::array kServiceIds{"STAGE_NOTIFICATION", "SERVICE_INFO"};

struct Route {
  std::set<std::string> service_ids, service_codes, providers;
  std::set<Stage> stages;
  std::vector<std::string> to;

  bool matches(const RoutingKey& key) const {
    if (!service_ids.empty() && !service_ids.count(key.service_id)) return false;
    if (!service_codes.empty() && !service_codes.count(key.service_code)) return false;
    if (!providers.empty() && !providers.count(key.provider_bin)) return false;
    if (!stages.empty() && (!key.stage || !stages.count(*key.stage))) return false;
    return true;
  }
};

class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const toml::source_region& where, const std::string& message) const {
    std::ostringstream text;
    text << source_ << ':' << where.begin.line << ':' << where.begin.column << ": " << message;
    throw RulesError(text.str());
  }

  void only_keys(const toml::table& table, std::initializer_list<std::string_view> allowed, const std::string& what) const {
    for (const auto& [key, value] : table)
      if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end())
        fail(key.source(), "unknown key '" + std::string(key.str()) + "' in " + what);
  }

  std::vector<std::pair<std::string, toml::source_region>> strings(const toml::node& node, const std::string& what) const {
    const auto* array = node.as_array();
    if (!array) fail(node.source(), what + " must be an array of strings");
    std::vector<std::pair<std::string, toml::source_region>> values;
    for (const auto& element : *array) {
      const auto* text = element.as_string();
      if (!text) fail(element.source(), what + " must be an array of strings");
      values.emplace_back(text->get(), element.source());
    }
    return values;
  }

 private:
  std::string source_;
};

bool valid_destination_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

std::optional<Stage> stage_from(const toml::node& node) {
  if (const auto* code = node.as_integer()) {
    if (code->get() >= 1 && code->get() <= 6) return static_cast<Stage>(code->get());
    return std::nullopt;
  }
  if (const auto* name = node.as_string())
    for (int code = 1; code <= 6; ++code)
      if (stage_name(static_cast<Stage>(code)) == name->get()) return static_cast<Stage>(code);
  return std::nullopt;
}

}  // namespace

struct RoutingRules::Impl {
  std::map<std::string, FieldVisibility> destinations;
  std::vector<Route> routes;
  // The destinations in name order, and each route's by place in it: a message's choice is a
  // set of bits, not a std::set of names.
  std::vector<const std::pair<const std::string, FieldVisibility>*> in_order;
  std::vector<std::vector<std::size_t>> route_places;

  void index() {
    for (const auto& destination : destinations) in_order.push_back(&destination);
    for (const auto& route : routes) {
      auto& places = route_places.emplace_back();
      for (const auto& name : route.to)
        places.push_back(static_cast<std::size_t>(std::distance(destinations.begin(), destinations.find(name))));
    }
  }
};

namespace {

// Which destinations a message goes to, by place in name order: one word covers rules of up
// to 64 destinations without allocating.
class ChosenDestinations {
 public:
  explicit ChosenDestinations(std::size_t count) {
    if (count > 64) more_.resize((count + 63) / 64);
  }
  void add(std::size_t place) { word(place) |= bit(place); }
  bool has(std::size_t place) const { return (more_.empty() ? first_ : more_[place / 64]) & bit(place); }
  std::size_t count() const {
    std::size_t total = static_cast<std::size_t>(std::popcount(first_));
    for (const auto word : more_) total += static_cast<std::size_t>(std::popcount(word));
    return total;
  }

 private:
  static std::uint64_t bit(std::size_t place) { return std::uint64_t{1} << (place % 64); }
  std::uint64_t& word(std::size_t place) { return more_.empty() ? first_ : more_[place / 64]; }
  std::uint64_t first_ = 0;
  std::vector<std::uint64_t> more_;
};

}  // namespace

RoutingRules RoutingRules::parse(std::string_view text, std::string_view source) {
  const Reader reader(source);
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& error) {
    reader.fail(error.source(), std::string(error.description()));
  }
  reader.only_keys(root, {"format", "destinations", "routes"}, "the rules file");
  const auto format = root["format"].value<std::int64_t>();
  if (format != kFormat) reader.fail(root.source(), "format = 1 is required (the version of this file's layout)");

  auto impl = std::make_shared<Impl>();
  const auto* destinations = root["destinations"].as_table();
  if (!destinations || destinations->empty()) reader.fail(root.source(), "[destinations.NAME] tables are required");
  for (const auto& [name, node] : *destinations) {
    const std::string destination(name.str());
    if (!valid_destination_name(destination))
      reader.fail(name.source(), "destination names use a-z, 0-9, '_', '.', '-': " + destination);
    const auto* table = node.as_table();
    if (!table) reader.fail(node.source(), "destinations." + destination + " must be a table");
    reader.only_keys(*table, {"fields", "hide"}, "destinations." + destination);
    if (!table->contains("fields"))
      reader.fail(table->source(), "destinations." + destination + " needs fields (\"*\" for everything)");
    FieldVisibility visibility;
    for (const auto& [path, where] : reader.strings(*table->get("fields"), "fields")) {
      if (path != "*" && !is_known_field(path)) reader.fail(where, "unknown field '" + path + "' (see docs/messages.md)");
      visibility.show(path);
    }
    if (const auto* hide = table->get("hide"))
      for (const auto& [path, where] : reader.strings(*hide, "hide")) {
        if (!is_known_field(path)) reader.fail(where, "unknown field '" + path + "' (see docs/messages.md)");
        if (path == "schema") reader.fail(where, "schema is always kept and cannot be hidden");
        visibility.hide(path);
      }
    impl->destinations.emplace(destination, std::move(visibility));
  }

  const auto* routes = root["routes"].as_array();
  if (!routes || routes->empty()) reader.fail(root.source(), "[[routes]] entries are required");
  for (const auto& node : *routes) {
    const auto* table = node.as_table();
    if (!table) reader.fail(node.source(), "routes must be [[routes]] tables");
    reader.only_keys(*table, {"to", "service_ids", "service_codes", "stages", "providers"}, "[[routes]]");
    Route route;
    if (!table->contains("to")) reader.fail(table->source(), "a route needs to = [destinations]");
    for (const auto& [name, where] : reader.strings(*table->get("to"), "to")) {
      if (!impl->destinations.count(name)) reader.fail(where, "route to undeclared destination '" + name + "'");
      route.to.push_back(name);
    }
    if (route.to.empty()) reader.fail(table->source(), "a route needs at least one destination in to");
    if (const auto* ids = table->get("service_ids"))
      for (const auto& [id, where] : reader.strings(*ids, "service_ids")) {
        if (std::find(kServiceIds.begin(), kServiceIds.end(), id) == kServiceIds.end())
          reader.fail(where, "unknown serviceId '" + id + "' (STAGE_NOTIFICATION or SERVICE_INFO)");
        route.service_ids.insert(id);
      }
    if (const auto* codes = table->get("service_codes"))
      for (const auto& [code, where] : reader.strings(*codes, "service_codes")) route.service_codes.insert(code);
    if (const auto* providers = table->get("providers"))
      for (const auto& [bin, where] : reader.strings(*providers, "providers")) {
        if (!valid_iin_bin(bin)) reader.fail(where, "providers takes BINs (12 digits with a valid check digit): '" + bin + "'");
        route.providers.insert(bin);
      }
    if (const auto* stages = table->get("stages")) {
      const auto* array = stages->as_array();
      if (!array) reader.fail(stages->source(), "stages must be an array of stage names or codes 1-6");
      for (const auto& element : *array) {
        const auto stage = stage_from(element);
        if (!stage) reader.fail(element.source(), "stages takes RECEIVED ... CLOSED or codes 1-6");
        route.stages.insert(*stage);
      }
    }
    impl->routes.push_back(std::move(route));
  }
  impl->index();
  return RoutingRules(std::move(impl));
}

RoutingRules RoutingRules::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw RulesError(file.string() + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), file.string());
}

RoutingRules RoutingRules::defaults() { return parse(default_text(), "routes.toml (built in)"); }

std::vector<RoutedPayload> RoutingRules::route(const RoutingKey& key, const std::string& whole_json) const {
  // The reduced copies cut out of the whole JSON, parsed once for all of them.
  std::optional<nlohmann::ordered_json> whole;
  return route(key, whole_json, [&](const FieldFilter& keep) {
    if (!whole) whole = nlohmann::ordered_json::parse(whole_json);
    return project(*whole, keep).dump();
  });
}

std::vector<RoutedPayload> RoutingRules::route(const RoutingKey& key, const std::string& whole_json,
                                               const PayloadWriter& write) const {
  ChosenDestinations chosen(impl_->in_order.size());
  for (std::size_t i = 0; i < impl_->routes.size(); ++i)
    if (impl_->routes[i].matches(key))
      for (const auto place : impl_->route_places[i]) chosen.add(place);
  std::vector<RoutedPayload> routed;
  routed.reserve(chosen.count());
  for (std::size_t place = 0; place < impl_->in_order.size(); ++place) {
    if (!chosen.has(place)) continue;
    const auto& [destination, visibility] = *impl_->in_order[place];
    if (visibility.shows_everything())
      routed.push_back({destination, whole_json});
    else
      routed.push_back({destination, write(ResolvedVisibility{&visibility})});
  }
  return routed;
}

std::vector<std::string> RoutingRules::destinations() const {
  std::vector<std::string> names;
  for (const auto& [name, visibility] : impl_->destinations) names.push_back(name);
  return names;
}

}  // namespace stagegate::routing
