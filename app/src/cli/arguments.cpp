#include "cli/arguments.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <deque>

#include "cli/usage.h"

namespace stagegate::cli {
namespace {

bool is_help(const std::string& word) { return word == "--help" || word == "-h"; }

// The value's name as the usage text writes it (`--listen HOST:PORT`), else VALUE.
std::string value_name(const std::string& usage, const std::string& option) {
  const std::string written = "--" + option + " ";
  for (auto at = usage.find(written); at != std::string::npos; at = usage.find(written, at + 1)) {
    const auto start = at + written.size();
    auto end = start;
    while (end < usage.size() && usage[end] != ' ' && usage[end] != ']' && usage[end] != '\n') ++end;
    const auto name = usage.substr(start, end - start);
    if (!name.empty() && (std::isupper(static_cast<unsigned char>(name.front())) || name.find('|') != std::string::npos))
      return name;
  }
  return "VALUE";
}

}  // namespace

Arguments::Arguments(int argc, char** argv, int first, std::vector<std::string> switches)
    : command_path_(argv + 1, argv + std::min(first, argc)), words_(argv + std::min(first, argc), argv + argc),
      switches_(std::move(switches)) {
  // Lenient first reading, enough to choose a subcommand before its options are declared.
  for (std::size_t i = 0; i < words_.size(); ++i) {
    const std::string& word = words_[i];
    if (is_help(word)) continue;
    if (word.rfind("--", 0) != 0 || word == "--") {
      positional_.push_back(word);
      continue;
    }
    std::string name = word.substr(2);
    if (const auto equals = name.find('='); equals != std::string::npos) {
      options_.emplace(name.substr(0, equals), name.substr(equals + 1));
      continue;
    }
    if (std::find(switches_.begin(), switches_.end(), name) != switches_.end()) {
      options_.emplace(name, "true");
      continue;
    }
    if (i + 1 >= words_.size()) continue;  // allow_only() says what is wrong with it
    options_.emplace(name, words_[++i]);
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

void Arguments::fill_from(const std::vector<std::pair<std::string, std::string>>& settings) {
  std::vector<std::string> given;
  for (const auto& [name, value] : options_) given.push_back(name);
  for (const auto& [name, value] : settings)
    if (std::find(given.begin(), given.end(), name) == given.end()) options_.emplace(name, value);
}

bool Arguments::has(const std::string& name) const { return options_.count(name) > 0; }

void Arguments::allow_only(const std::vector<std::string>& known) const {
  // The command as typed up to its first option names it in the usage: "stagegate kb record".
  std::string name = "stagegate";
  for (const auto& word : command_path_) name += " " + word;
  const std::string paragraph = command_path_.empty() ? std::string() : command_usage(command_path_.front());
  for (const auto& word : words_) {  // subcommand words: lowercase, and in the command's usage
    if (word.empty() || !std::all_of(word.begin(), word.end(), [](char c) { return c >= 'a' && c <= 'z'; }) ||
        paragraph.find(" " + word) == std::string::npos)
      break;
    name += " " + word;
  }
  CLI::App app(paragraph.empty() ? std::string() : "\n" + paragraph, name);
  app.set_help_flag("-h,--help", "this command's usage");
  app.get_formatter()->column_width(34);
  std::deque<std::vector<std::string>> values;  // stable addresses for CLI11's bindings
  std::deque<int> counts;
  for (const auto& option : known) {
    if (std::find(switches_.begin(), switches_.end(), option) != switches_.end()) {
      app.add_flag("--" + option, counts.emplace_back(0));
    } else {
      app.add_option("--" + option, values.emplace_back())
          ->expected(1)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
          ->type_name(value_name(paragraph, option));
    }
  }
  std::vector<std::string> words;
  app.add_option("words", words, "subcommand and arguments, as in the usage above")->type_name("");
  // CLI11 takes the words last first.
  std::vector<std::string> reversed(words_.rbegin(), words_.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    throw HelpRequested(app.help());
  } catch (const CLI::ParseError& error) {
    throw UsageError(error.what(), app.help());
  }
}

}  // namespace stagegate::cli
