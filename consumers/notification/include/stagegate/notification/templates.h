#pragma once
// The wording of notifications, in Kazakh and Russian, from text files operators edit without
// rebuilding: `<stage>.<lang>.txt` (stage in lowercase, e.g. `sent_for_execution.kk.txt`;
// at CLOSED `closed-issued` / `closed-refused` first, then `closed`). A file is a
// `Subject: ...` line, an empty line, and the body; `{{placeholder}}`s from
// `template_placeholders()`. The built-in set is the floor; a directory of operator files
// overrides it file by file and is reread when a file changes. A file that does not parse
// keeps the previous wording of that file and is reported.
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "stagegate/core/result.h"
#include "stagegate/notification/stage_change.h"

namespace stagegate::notification {

struct Template {
  std::string subject;
  std::string body;
};

// One e-mail carrying both languages: Kazakh first, then Russian.
struct RenderedMessage {
  std::string subject;
  std::string body;
};

// SCHEMA naming the line for a missing Subject line, an unclosed or unknown placeholder.
Result<Template> parse_template(const std::string& text);
const std::vector<std::string>& template_placeholders();
// The file names (without `.kk.txt` / `.ru.txt`) a template set reads.
const std::vector<std::string>& template_names();

class TemplateSet {
 public:
  // Throws std::runtime_error when the built-in set is incomplete or does not parse.
  TemplateSet(const std::filesystem::path& builtin_dir, std::filesystem::path operator_dir);

  // Rereads operator files that appeared, changed (mtime or size) or disappeared (back to
  // the built-in wording). One line per file reloaded or refused, for the log.
  std::vector<std::string> refresh();

  RenderedMessage render(const StageChange& change) const;

 private:
  struct Seen {
    std::filesystem::file_time_type modified;
    std::uintmax_t size = 0;
  };
  const Template& pick(const StageChange& change, const std::string& language) const;

  std::map<std::string, Template> builtin_;  // "received.kk"
  std::map<std::string, Template> current_;
  std::map<std::string, Seen> seen_;
  std::filesystem::path operator_dir_;
};

// Creates `operator_dir` with a copy of every built-in file when it does not exist yet, so
// operators have the files to edit. False when the directory already existed.
bool install_templates(const std::filesystem::path& builtin_dir, const std::filesystem::path& operator_dir);

}  // namespace stagegate::notification
