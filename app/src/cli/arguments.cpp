#include "cli/arguments.h"

#include <algorithm>

namespace stagegate::cli {

Arguments::Arguments(int argc, char** argv, int first, std::vector<std::string> switches) {
  for (int i = first; i < argc; ++i) {
    std::string word = argv[i];
    if (word.rfind("--", 0) != 0 || word == "--") {
      positional_.push_back(word);
      continue;
    }
    std::string name = word.substr(2);
    if (const auto equals = name.find('='); equals != std::string::npos) {
      options_.emplace(name.substr(0, equals), name.substr(equals + 1));
      continue;
    }
    if (std::find(switches.begin(), switches.end(), name) != switches.end()) {
      options_.emplace(name, "true");
      continue;
    }
    if (i + 1 >= argc) throw UsageError("--" + name + " needs a value");
    options_.emplace(name, argv[++i]);
  }
}

std::optional<std::string> Arguments::get(const std::string& name) const {
  const auto found = options_.equal_range(name);
  if (found.first == found.second) return std::nullopt;
  return std::prev(found.second)->second;  // the last one given wins
}

std::string Arguments::get_or(const std::string& name, const std::string& fallback) const {
  return get(name).value_or(fallback);
}

std::string Arguments::required(const std::string& name) const {
  auto value = get(name);
  if (!value) throw UsageError("--" + name + " is required");
  return *value;
}

std::vector<std::string> Arguments::all(const std::string& name) const {
  std::vector<std::string> values;
  const auto found = options_.equal_range(name);
  for (auto it = found.first; it != found.second; ++it) values.push_back(it->second);
  return values;
}

bool Arguments::has(const std::string& name) const { return options_.count(name) > 0; }

void Arguments::allow_only(const std::vector<std::string>& known) const {
  for (const auto& [name, value] : options_)
    if (std::find(known.begin(), known.end(), name) == known.end()) throw UsageError("unknown option --" + name);
}

}  // namespace stagegate::cli
