#pragma once
// The gateway's configuration file (TOML): every `serve` setting under the option's own name,
// grouped in tables. Command-line options override it.
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace stagegate::cli {

// The journal's settings' ranges (serve and check-config alike).
inline constexpr int kMostCommitWindowMs = 100;
bool is_journal_page_size(long long bytes);

// Every setting with its default and a comment: `stagegate config default`.
std::string default_config_text();

struct ConfigFile {
  // (option name, value) in file order; an array gives one pair per element, a true switch
  // the value "true" (a false one nothing).
  std::vector<std::pair<std::string, std::string>> settings;
  std::vector<std::string> tables;  // each setting's table
  // The settings one command reads: "serve" (every gateway table), "monitor",
  // "knowledge_base" or "notification" (its own table).
  std::vector<std::pair<std::string, std::string>> settings_for(std::string_view command) const;
  // "FILE:LINE:COLUMN: what is wrong", every one found.
  std::vector<std::string> problems;
};

// `--config FILE` for a command: its settings under the command line's (which win); throws
// std::runtime_error listing every problem of the file.
class Arguments;
void apply_config_file(Arguments& args, std::string_view command);

// Reads and checks the file: syntax, tables, keys, types, values, and that the files it names
// exist and the directories it writes to are writable.
ConfigFile read_config_file(const std::filesystem::path& file);

// Startup checks of the final settings (file and command line merged): certificates and files
// that must exist, directories that must be writable. One message per problem.
std::vector<std::string> path_problems(const std::vector<std::pair<std::string, std::string>>& settings);

}  // namespace stagegate::cli
