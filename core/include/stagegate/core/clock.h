#pragma once
#include <chrono>
#include <string>

namespace stagegate {

// xsd:dateTime in UTC with millisecond precision, e.g. 2026-11-22T10:15:30.123Z
std::string format_utc(std::chrono::system_clock::time_point when);
inline std::string now_utc() { return format_utc(std::chrono::system_clock::now()); }

}  // namespace stagegate
