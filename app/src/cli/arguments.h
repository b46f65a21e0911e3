#pragma once
// `--name value` options (repeatable), `--flag` switches and positional arguments.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace stagegate::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Arguments {
 public:
  // `switches` are the options that take no value.
  Arguments(int argc, char** argv, int first, std::vector<std::string> switches = {});

  std::optional<std::string> get(const std::string& name) const;
  std::string get_or(const std::string& name, const std::string& fallback) const;
  std::string required(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  bool has(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // Throws UsageError naming any option not in `known`.
  void allow_only(const std::vector<std::string>& known) const;

 private:
  std::multimap<std::string, std::string> options_;
  std::vector<std::string> positional_;
};

}  // namespace stagegate::cli
