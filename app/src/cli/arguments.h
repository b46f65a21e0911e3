#pragma once
// `--name value` options (repeatable), `--flag` switches and positional arguments, parsed by
// CLI11. A command constructs Arguments (which reads the words leniently, enough to pick its
// subcommand) and then declares the options it takes with allow_only(): CLI11 parses the line
// again against exactly those, answers --help with the command's own usage, and refuses any
// other option. So each command's options stay in its own file, in its allow_only() list.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace stagegate::cli {

// A mistake on the command line; `usage` (when set) is the command's own usage to show with it.
class UsageError : public std::runtime_error {
 public:
  explicit UsageError(const std::string& what, std::string usage = {}) : std::runtime_error(what), usage_(std::move(usage)) {}
  const std::string& usage() const { return usage_; }

 private:
  std::string usage_;
};

// --help or -h was given: what() is the command's usage, printed with exit status 0.
struct HelpRequested : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Arguments {
 public:
  // `switches` are the options that take no value; the words parsed start at argv[first]
  // (argv[1] up to it name the command in its usage).
  Arguments(int argc, char** argv, int first, std::vector<std::string> switches = {});

  std::optional<std::string> get(const std::string& name) const;
  std::string get_or(const std::string& name, const std::string& fallback) const;
  std::string required(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  bool has(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // Parses the line with CLI11 against exactly these options (the switches among them take no
  // value): throws HelpRequested for --help, UsageError with the usage for anything else.
  void allow_only(const std::vector<std::string>& known) const;
  // Adds each (option, value) whose option the command line does not give: a configuration
  // file under the options (an option given there replaces all the file's values for it).
  void fill_from(const std::vector<std::pair<std::string, std::string>>& settings);

 private:
  std::vector<std::string> command_path_;
  std::vector<std::string> words_;
  std::vector<std::string> switches_;
  std::multimap<std::string, std::string> options_;
  std::vector<std::string> positional_;
};

}  // namespace stagegate::cli
