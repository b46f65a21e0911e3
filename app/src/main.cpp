// stagegate: the gateway between providers' SOAP stage messages and the monitoring consumers.
#include <sys/stat.h>

#include <cstring>
#include <iostream>
#include <string_view>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/usage.h"


int main(int argc, char** argv) {
  // Everything stagegate creates (var/, the journal and its -wal/-shm, the registry, keys,
  // consumer stores) holds personal data, password hashes or keys: owner only.
  ::umask(077);
  using stagegate::cli::full_usage;
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 || std::strcmp(argv[1], "help") == 0) {
    std::cout << full_usage();
    return argc < 2 ? 2 : 0;
  }
  const std::string_view command = argv[1];
  const auto command_usage = stagegate::cli::command_usage(command);
  // `stagegate COMMAND --help` for a command that first needs its subcommand: its own paragraph.
  if (argc == 3 && (std::strcmp(argv[2], "--help") == 0 || std::strcmp(argv[2], "-h") == 0) && !command_usage.empty() &&
      stagegate::cli::takes_subcommand(command)) {
    std::cout << "usage:\n" << command_usage;
    return 0;
  }
  try {
    if (command == "serve") return stagegate::cli::serve(argc, argv);
    if (command == "dev-setup") return stagegate::cli::dev_setup(argc, argv);
    if (command == "sign") return stagegate::cli::sign(argc, argv);
    if (command == "send") return stagegate::cli::send(argc, argv);
    if (command == "tail") return stagegate::cli::tail(argc, argv);
    if (command == "verify") return stagegate::cli::verify(argc, argv);
    if (command == "dlq") return stagegate::cli::dlq(argc, argv);
    if (command == "consumers") return stagegate::cli::consumers(argc, argv);
    if (command == "monitor") return stagegate::cli::monitor(argc, argv);
    if (command == "status") return stagegate::cli::status(argc, argv);
    if (command == "report") return stagegate::cli::report(argc, argv);
    if (command == "routes") return stagegate::cli::routes(argc, argv);
    if (command == "notify") return stagegate::cli::notify(argc, argv);
    if (command == "kb") return stagegate::cli::kb(argc, argv);
    if (command == "keys") return stagegate::cli::keys(argc, argv);
    if (command == "providers") return stagegate::cli::providers(argc, argv);
    if (command == "config") return stagegate::cli::config(argc, argv);
    if (command == "check-config") return stagegate::cli::check_config(argc, argv);
    std::cerr << "stagegate: unknown command " << command << "\n\n" << full_usage();
    return 2;
  } catch (const stagegate::cli::HelpRequested& help) {
    std::cout << help.what();
    return 0;
  } catch (const stagegate::cli::UsageError& error) {
    // --help on a partial subcommand (`notify templates --help`) stops at the dispatch: still help.
    for (int i = 2; i < argc; ++i)
      if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
        std::cout << (!error.usage().empty() ? error.usage() : "usage:\n" + command_usage);
        return 0;
      }
    std::cerr << "stagegate " << command << ": " << error.what() << "\n\n"
              << (!error.usage().empty() ? error.usage() : !command_usage.empty() ? "usage:\n" + command_usage : std::string(full_usage()));
    return 2;
  } catch (const std::exception& error) {
    std::cerr << "stagegate " << command << ": " << error.what() << '\n';
    return 2;
  }
}
