#include "stagegate/monitoring/local_time.h"

#include <date/tz.h>

#include <atomic>
#include <cstdio>
#include <stdexcept>

namespace stagegate::monitoring {
namespace {

// locate_zone's pointers live as long as the process; an atomic pointer lets readers on any
// thread see the zone chosen at start.
std::atomic<const date::time_zone*>& zone_pointer() {
  static std::atomic<const date::time_zone*> zone{nullptr};
  return zone;
}

const date::time_zone& zone() {
  auto* chosen = zone_pointer().load(std::memory_order_acquire);
  if (!chosen) {
    set_local_time_zone(kDefaultTimeZone);
    chosen = zone_pointer().load(std::memory_order_acquire);
  }
  return *chosen;
}

std::chrono::sys_days days_of(int year, int month, int day) {
  return std::chrono::sys_days(std::chrono::year(year) / std::chrono::month(static_cast<unsigned>(month)) /
                               std::chrono::day(static_cast<unsigned>(day)));
}

}  // namespace

void set_local_time_zone(const std::string& name) {
  try {
    zone_pointer().store(date::locate_zone(name), std::memory_order_release);
  } catch (const std::exception& error) {
    throw std::runtime_error("time zone " + name + " is not in the tz database: " + error.what());
  }
}

std::string local_time_zone() { return zone().name(); }

std::optional<std::chrono::sys_seconds> instant_of(const std::string& date_time) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, consumed = 0;
  if (std::sscanf(date_time.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute, &second,
                  &consumed) != 6 || consumed != 19)
    return std::nullopt;
  if (!(std::chrono::year(year) / std::chrono::month(static_cast<unsigned>(month)) /
        std::chrono::day(static_cast<unsigned>(day))).ok() || hour > 24 || minute > 59 || second > 60)
    return std::nullopt;
  std::size_t at = 19;
  if (at < date_time.size() && date_time[at] == '.') {
    ++at;
    while (at < date_time.size() && date_time[at] >= '0' && date_time[at] <= '9') ++at;
  }
  const auto wall = std::chrono::seconds((days_of(year, month, day).time_since_epoch())) + std::chrono::hours(hour) +
                    std::chrono::minutes(minute) + std::chrono::seconds(second);
  const std::string zone_text = date_time.substr(at);
  if (zone_text.empty()) {
    // Local wall time: the zone says which instant it was (the earlier one when ambiguous).
    const date::local_seconds local{wall};
    return zone().to_sys(local, date::choose::earliest);
  }
  if (zone_text == "Z") return std::chrono::sys_seconds(wall);
  int zone_hours = 0, zone_minutes = 0;
  char sign = 0;
  if (zone_text.size() != 6 || std::sscanf(zone_text.c_str(), "%c%2d:%2d", &sign, &zone_hours, &zone_minutes) != 3 ||
      (sign != '+' && sign != '-') || zone_hours > 14 || zone_minutes > 59)
    return std::nullopt;
  const auto offset = std::chrono::minutes(zone_hours * 60 + zone_minutes);
  return std::chrono::sys_seconds(sign == '+' ? wall - offset : wall + offset);
}

LocalMoment local_moment(std::chrono::sys_seconds instant) {
  const auto local = zone().to_local(instant);
  const auto day = date::floor<date::days>(local);
  return LocalMoment{Date(std::chrono::sys_days(std::chrono::days(day.time_since_epoch().count()))),
                     std::chrono::seconds((local - day).count())};
}

Date local_date_at(std::chrono::sys_seconds instant) { return local_moment(instant).day; }

Date local_date_of(const std::string& date_time) {
  const auto instant = instant_of(date_time);
  if (!instant) throw std::invalid_argument("not an xsd:dateTime: " + date_time);
  return local_date_at(*instant);
}

Date local_today() {
  return local_date_at(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

}  // namespace stagegate::monitoring
