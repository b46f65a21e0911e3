// `stagegate routes check|default`: the operator's way to try a rules file before the
// gateway reloads it (a bad file is refused there too, and the running rules stay).
#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "stagegate/routing/rules.h"

namespace stagegate::cli {

int routes(int argc, char** argv) {
  const Arguments args(argc, argv, 2);
  args.allow_only({});
  const auto& words = args.positional();
  if (words.empty()) throw UsageError("routes takes check [FILE] or default");
  if (words[0] == "default" && words.size() == 1) {
    std::cout << routing::RoutingRules::default_text();
    return 0;
  }
  if (words[0] != "check" || words.size() > 2) throw UsageError("routes takes check [FILE] or default");
  try {
    const auto rules = words.size() == 2 ? routing::RoutingRules::load(words[1]) : routing::RoutingRules::defaults();
    std::cout << (words.size() == 2 ? words[1] : std::string("built-in rules")) << ": ok, destinations";
    for (const auto& name : rules.destinations()) std::cout << ' ' << name;
    std::cout << '\n';
    return 0;
  } catch (const routing::RulesError& error) {
    std::cout << error.what() << '\n';
    return 1;
  }
}

}  // namespace stagegate::cli
