#include "stagegate/bus/consumer_registry.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "stagegate/bus/curve_keys.h"

namespace stagegate::bus {
namespace {

}  // namespace

bool valid_consumer_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}

namespace {

std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> parts;
  while (!text.empty()) {
    const auto comma = text.find(',');
    if (const auto part = text.substr(0, comma); !part.empty()) parts.emplace_back(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return parts;
}

// Names and destinations come from the network: shown without control characters or quotes.
std::string printable(std::string_view text) {
  std::string shown;
  for (const char c : text.substr(0, 80)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '"' || c == '\\') {
      static constexpr char kHex[] = "0123456789abcdef";
      shown += "\\x";
      shown += kHex[byte >> 4];
      shown += kHex[byte & 0xF];
    } else {
      shown += c;
    }
  }
  if (text.size() > 80) shown += "...";
  return shown;
}

}  // namespace

ConsumerRegistry ConsumerRegistry::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read consumers file " + file.string());
  std::stringstream content;
  content << in.rdbuf();
  return parse(content.str(), file.string());
}

ConsumerRegistry ConsumerRegistry::parse(std::string_view text, const std::string& origin) {
  ConsumerRegistry registry;
  std::istringstream in{std::string(text)};
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const auto where = origin + ":" + std::to_string(number) + ": ";
    // Only whole lines are comments: '#' is a Z85 character and may appear inside a key.
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    std::istringstream fields(line);
    std::vector<std::string> words;
    for (std::string word; fields >> word;) words.push_back(word);
    if (words.size() < 3 || words.size() > 4)
      throw std::runtime_error(where + "expected <name> <public-key-z85> <destinations|-> [observe]");
    ConsumerGrant grant;
    grant.name = words[0];
    grant.public_key = words[1];
    if (!valid_consumer_name(grant.name)) throw std::runtime_error(where + "bad consumer name (letters, digits, _ - . up to 64)");
    if (!is_z85_key(grant.public_key)) throw std::runtime_error(where + "bad public key (40 Z85 characters expected)");
    if (words[2] != "-") {
      grant.destinations = split_commas(words[2]);
      for (const auto& destination : grant.destinations)
        if (!valid_consumer_name(destination)) throw std::runtime_error(where + "bad destination " + printable(destination));
    }
    if (words.size() == 4) {
      if (words[3] != "observe") throw std::runtime_error(where + "unknown flag " + printable(words[3]) + " (only observe)");
      grant.observe = true;
    }
    if (grant.destinations.empty() && !grant.observe)
      throw std::runtime_error(where + "consumer " + grant.name + " has no destinations and may not observe");
    if (registry.key_by_name_.count(grant.name)) throw std::runtime_error(where + "consumer " + grant.name + " is registered twice");
    if (registry.by_key_.count(grant.public_key))
      throw std::runtime_error(where + "the key of " + grant.name + " is already registered (one key per consumer)");
    registry.key_by_name_.emplace(grant.name, grant.public_key);
    registry.by_key_.emplace(grant.public_key, std::move(grant));
  }
  return registry;
}

std::string ConsumerRegistry::format_line(const ConsumerGrant& grant) {
  std::string destinations;
  for (const auto& destination : grant.destinations) destinations += (destinations.empty() ? "" : ",") + destination;
  return grant.name + ' ' + grant.public_key + ' ' + (destinations.empty() ? "-" : destinations) +
         (grant.observe ? " observe" : "");
}

const ConsumerGrant* ConsumerRegistry::find_by_key(std::string_view public_key_z85) const {
  const auto found = by_key_.find(public_key_z85);
  return found == by_key_.end() ? nullptr : &found->second;
}

const ConsumerGrant* ConsumerRegistry::find_by_name(std::string_view name) const {
  const auto found = key_by_name_.find(name);
  return found == key_by_name_.end() ? nullptr : find_by_key(found->second);
}

std::optional<std::string> hello_refusal(const ConsumerGrant& grant, std::string_view name, std::string_view destinations) {
  if (!name.empty() && name != grant.name)
    return "the name \"" + printable(name) + "\" is not bound to this key (it belongs to consumer " + grant.name + ")";
  const auto asked = split_commas(destinations);
  if ((name.empty() || asked.empty()) && !grant.observe)
    return std::string(name.empty() ? "a HELLO without a name" : "a HELLO without destinations") +
           " observes whole messages, which consumer " + grant.name + " may not";
  if (grant.observe) return std::nullopt;
  for (const auto& destination : asked)
    if (std::find(grant.destinations.begin(), grant.destinations.end(), destination) == grant.destinations.end())
      return "destination " + printable(destination) + " is not granted to consumer " + grant.name;
  return std::nullopt;
}

LiveConsumerRegistry::LiveConsumerRegistry(ConsumerRegistry initial)
    : current_(std::make_shared<const ConsumerRegistry>(std::move(initial))) {}

std::shared_ptr<const ConsumerRegistry> LiveConsumerRegistry::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

void LiveConsumerRegistry::replace(ConsumerRegistry next) {
  auto replacement = std::make_shared<const ConsumerRegistry>(std::move(next));
  std::lock_guard lock(mutex_);
  current_ = std::move(replacement);
}

}  // namespace stagegate::bus
