#pragma once
// The usage text: the whole of it for `stagegate --help`, one command's paragraph for the
// command's own --help and for its usage mistakes.
#include <string>
#include <string_view>

namespace stagegate::cli {

std::string_view full_usage();
// The command's lines of the usage text ("" for an unknown command).
std::string command_usage(std::string_view command);
// Commands whose first word is a subcommand (list, add, consume, ...).
bool takes_subcommand(std::string_view command);

}  // namespace stagegate::cli
