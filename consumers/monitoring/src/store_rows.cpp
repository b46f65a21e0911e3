#include "store_rows.h"

#include <chrono>
#include <cstdio>

namespace stagegate::monitoring {

std::string utc_key(const std::string& date_time) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (std::sscanf(date_time.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day, &hour, &minute, &second) != 6)
    return date_time;
  auto zone = date_time.find_first_of("Z+-", 19);
  int offset_minutes = 0;
  if (zone != std::string::npos && date_time[zone] != 'Z') {
    int zone_hours = 0, zone_minutes = 0;
    std::sscanf(date_time.c_str() + zone + 1, "%2d:%2d", &zone_hours, &zone_minutes);
    offset_minutes = (zone_hours * 60 + zone_minutes) * (date_time[zone] == '-' ? -1 : 1);
  }
  const auto local = std::chrono::sys_days(std::chrono::year(year) / month / day) + std::chrono::hours(hour) +
                     std::chrono::minutes(minute) + std::chrono::seconds(second);
  const auto utc = local - std::chrono::minutes(offset_minutes);
  const auto days = std::chrono::floor<std::chrono::days>(utc);
  const std::chrono::year_month_day date(days);
  const std::chrono::hh_mm_ss clock(utc - days);
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<long>(clock.hours().count()), static_cast<long>(clock.minutes().count()),
                static_cast<long>(clock.seconds().count()));
  return text;
}

Application application_from_row(const std::function<std::string(int)>& text) {
  Application application;
  application.provider_bin = text(0);
  application.application_id = text(1);
  application.service_code = text(2);
  application.service_name = text(3);
  application.provider_name = text(4);
  application.reception_date = text(5);
  application.planned = PlannedDate{text(6), text(7), text(8), text(9) != "0"};
  application.execution_date = text(10);
  application.outcome = text(11);
  application.delay_kind = text(12);
  application.delay_reason = text(13);
  application.latest_stage = std::stoi(text(14));
  return application;
}

}  // namespace stagegate::monitoring
