#pragma once
// xsd:date and xsd:dateTime as the contract uses them: checked field by field (no 2025-02-30,
// no hour 25) and reduced to UTC seconds so dates with different offsets compare.
#include <cstdint>
#include <optional>
#include <string_view>

namespace stagegate::routing {

struct DateTime {
  std::int64_t utc_seconds = 0;  // seconds since 1970-01-01T00:00:00Z (local time when no offset)
  bool has_offset = false;
};

std::optional<DateTime> parse_datetime(std::string_view text);
std::optional<DateTime> parse_date(std::string_view text);  // midnight of that day

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
std::int64_t days_from_civil(int year, unsigned month, unsigned day);
bool valid_calendar_date(int year, unsigned month, unsigned day);

}  // namespace stagegate::routing
