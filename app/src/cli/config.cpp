// `stagegate config default` and `stagegate check-config FILE`.
#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/config_file.h"

namespace stagegate::cli {

int config(int argc, char** argv) {
  const Arguments args(argc, argv, 2);
  args.allow_only({});
  if (args.positional().size() != 1 || args.positional().front() != "default") throw UsageError("config takes: default");
  std::cout << default_config_text();
  return 0;
}

// Every problem at once, each as FILE:LINE:COLUMN: ...; exit 1 when there is any.
int check_config(int argc, char** argv) {
  const Arguments args(argc, argv, 2);
  args.allow_only({});
  if (args.positional().size() != 1) throw UsageError("check-config takes one file");
  const auto file = read_config_file(args.positional().front());
  for (const auto& problem : file.problems) std::cout << problem << '\n';
  if (file.problems.empty()) std::cout << args.positional().front() << ": ok, " << file.settings.size() << " setting(s)\n";
  return file.problems.empty() ? 0 : 1;
}

}  // namespace stagegate::cli
