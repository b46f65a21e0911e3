#pragma once
// Routing rules (routing/data/routes.toml is the default and documents the format): which
// destinations get a message, and which of its fields each destination may see.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "stagegate/routing/normalize.h"
#include "stagegate/routing/stage_event.h"

namespace stagegate::routing {

// A rules file that cannot be used; what() is "source:line:column: message".
class RulesError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What rules match on, taken from the authenticated envelope and the verified document.
struct RoutingKey {
  std::string service_id;           // the bus serviceId: STAGE_NOTIFICATION, SERVICE_INFO
  std::string service_code;         // service/@code, or registryNumber for service information
  std::optional<Stage> stage;       // stage notifications only
  std::string provider_bin;         // the sending provider's BIN
};

struct RoutedPayload {
  std::string destination;
  std::string payload;  // the normalized JSON, reduced to what the destination may see
};

class RoutingRules {
 public:
  static RoutingRules load(const std::filesystem::path& file);  // throws RulesError
  static RoutingRules parse(std::string_view text, std::string_view source);  // throws RulesError
  static RoutingRules defaults();  // routing/data/routes.toml as built in
  static std::string_view default_text();

  // The destinations the message goes to, in name order, each with its payload.
  // `whole_json` is the output of to_json(); fields a destination may not see are removed.
  std::vector<RoutedPayload> route(const RoutingKey& key, const std::string& whole_json) const;
  // The same, with each reduced copy written by `write` from the message itself (to_json with
  // the destination's filter) instead of parsing `whole_json` back: the gateway's hot path.
  using PayloadWriter = std::function<std::string(const FieldFilter& keep)>;
  std::vector<RoutedPayload> route(const RoutingKey& key, const std::string& whole_json, const PayloadWriter& write) const;
  std::vector<std::string> destinations() const;

  struct Impl;  // copies share the immutable rules

 private:
  explicit RoutingRules(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace stagegate::routing
