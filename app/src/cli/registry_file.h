#pragma once
// Line-oriented registry files (providers.conf, bus/consumers.conf) edited in place: comments
// and other lines kept, the whole file replaced by rename so a gateway polling it never reads
// half of it.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace stagegate::cli {

// The file's lines (none when it does not exist). Throws std::runtime_error when unreadable.
std::vector<std::string> read_lines(const std::filesystem::path& file);

// The first whitespace-separated field of a line, ignoring '#' comments ("" for a blank line).
std::string first_field(const std::string& line);

// Index of the line whose first field is `name`.
std::optional<std::size_t> find_entry(const std::vector<std::string>& lines, const std::string& name);

// Writes `lines` to FILE.tmp (0600, fsynced), calls `check` on it (which throws to refuse, so
// the gateway never gets a file it would reject), then renames it over `file` and fsyncs the
// directory.
void replace_atomically(const std::filesystem::path& file, const std::vector<std::string>& lines,
                        const std::function<void(const std::filesystem::path&)>& check);

// A password from standard input (one line) or, without --password-stdin, typed twice at the
// terminal without echo. Throws std::runtime_error when empty, mismatched or no terminal.
std::string read_password(bool from_stdin);

}  // namespace stagegate::cli
