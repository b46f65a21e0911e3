#pragma once
// Dates as people in Kazakhstan read them: every date monitoring derives (reception day, stage
// day, execution day, entry day, "today") is the local date in one time zone, read from the
// system's tz database (tzdata) so that a change of the country's offset is a data update, as
// on 1 March 2024 when all of Kazakhstan moved to UTC+5.
#include <chrono>
#include <optional>
#include <string>

#include "stagegate/monitoring/calendar.h"

namespace stagegate::monitoring {

// The one place the zone is named; `--time-zone` on the commands overrides it.
inline constexpr const char* kDefaultTimeZone = "Asia/Almaty";

// Chooses the zone for the whole process (call at start, before any thread reads dates).
// Throws std::runtime_error when the tz database does not know `name`.
void set_local_time_zone(const std::string& name);
std::string local_time_zone();

// The instant of an xsd:dateTime ("2026-12-30T20:00:00Z", "…T10:15:00.250+05:00"); a time
// without an offset is local wall time in the zone. Nothing when the text is not a dateTime.
std::optional<std::chrono::sys_seconds> instant_of(const std::string& date_time);

struct LocalMoment {
  Date day;
  std::chrono::seconds time_of_day{0};
};
LocalMoment local_moment(std::chrono::sys_seconds instant);

// The local date of an instant or of an xsd:dateTime ("2026-12-30T20:00:00Z" -> 2026-12-31).
// Throws std::invalid_argument when the text is not a dateTime.
Date local_date_at(std::chrono::sys_seconds instant);
Date local_date_of(const std::string& date_time);
Date local_today();

}  // namespace stagegate::monitoring
