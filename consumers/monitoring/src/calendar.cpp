#include "stagegate/monitoring/calendar.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace stagegate::monitoring {
namespace {

using std::chrono::sys_days;

bool is_weekend(sys_days day) {
  const std::chrono::weekday weekday{day};
  return weekday == std::chrono::Saturday || weekday == std::chrono::Sunday;
}

std::string rest_of(std::istringstream& fields) {
  std::string rest;
  std::getline(fields >> std::ws, rest);
  return rest;
}

}  // namespace

Date parse_date(const std::string& text) {
  int year = 0;
  unsigned month = 0, day = 0;
  char tail = 0;
  if (text.size() != 10 || std::sscanf(text.c_str(), "%4d-%2u-%2u%c", &year, &month, &day, &tail) != 3)
    throw std::invalid_argument("not a date (YYYY-MM-DD): " + text);
  const Date date{std::chrono::year(year), std::chrono::month(month), std::chrono::day(day)};
  if (!date.ok()) throw std::invalid_argument("no such date: " + text);
  return date;
}

std::string format_date(Date day) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(day.year()), static_cast<unsigned>(day.month()),
                static_cast<unsigned>(day.day()));
  return text;
}

WorkingCalendar WorkingCalendar::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read calendar " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), file.string());
}

WorkingCalendar WorkingCalendar::parse(const std::string& text, const std::string& origin) {
  WorkingCalendar calendar;
  std::istringstream lines(text);
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream fields(line);
    std::string kind;
    if (!(fields >> kind)) continue;
    try {
      if (kind == "holiday" || kind == "fixed") {
        std::string month_day;
        fields >> month_day;
        unsigned month = 0, day = 0;
        if (std::sscanf(month_day.c_str(), "%2u-%2u", &month, &day) != 2 || month < 1 || month > 12 || day < 1 || day > 31)
          throw std::invalid_argument("expected MM-DD, got " + month_day);
        calendar.yearly_.push_back(Rule{month, day, rest_of(fields), kind == "holiday"});
      } else if (kind == "once") {
        std::string date;
        fields >> date;
        calendar.once_[sys_days(parse_date(date))] = rest_of(fields);
      } else if (kind == "transfer") {
        std::string off, worked;
        fields >> off >> worked;
        const auto off_day = sys_days(parse_date(off));
        const auto worked_day = sys_days(parse_date(worked));
        calendar.transfers_off_[off_day] = "day off transferred from " + worked + " (" + rest_of(fields) + ")";
        calendar.transfers_worked_.insert(worked_day);
      } else if (kind == "covers") {
        fields >> calendar.first_year_ >> calendar.last_year_;
        if (calendar.first_year_ <= 0 || calendar.last_year_ < calendar.first_year_)
          throw std::invalid_argument("expected: covers FIRST_YEAR LAST_YEAR");
      } else {
        throw std::invalid_argument("unknown line kind " + kind);
      }
    } catch (const std::invalid_argument& error) {
      throw std::runtime_error(origin + ":" + std::to_string(number) + ": " + error.what());
    }
  }
  if (calendar.first_year_ == 0) throw std::runtime_error(origin + ": no `covers FIRST LAST` line");
  return calendar;
}

void WorkingCalendar::build_year(int year) const {
  if (days_off_.count(year)) return;
  auto& off = days_off_[year];
  std::map<sys_days, std::pair<std::string, bool>> holidays;  // day -> name, moves
  for (const auto& rule : yearly_) {
    const Date date{std::chrono::year(year), std::chrono::month(rule.month), std::chrono::day(rule.day)};
    if (date.ok()) holidays[sys_days(date)] = {rule.name, rule.moves};
  }
  for (const auto& [day, name] : once_)
    if (Date(day).year() == std::chrono::year(year)) holidays[day] = {name, false};
  for (const auto& [day, holiday] : holidays) off[day] = holiday.first;
  // In date order, each weekend holiday that moves gives the next weekday not already off.
  for (const auto& [day, holiday] : holidays) {
    if (!holiday.second || !is_weekend(day)) continue;
    auto next = day + std::chrono::days(1);
    while (is_weekend(next) || off.count(next)) next += std::chrono::days(1);
    off[next] = holiday.first + " (moved from " + format_date(Date(day)) + ")";
  }
  for (const auto& [day, why] : transfers_off_)
    if (Date(day).year() == std::chrono::year(year)) off[day] = why;
}

std::string WorkingCalendar::day_off_reason(Date day) const {
  const auto days = sys_days(day);
  build_year(static_cast<int>(day.year()));
  const auto& off = days_off_.at(static_cast<int>(day.year()));
  if (const auto found = off.find(days); found != off.end()) return found->second;
  if (transfers_worked_.count(days)) return {};
  if (is_weekend(days)) return std::chrono::weekday{days} == std::chrono::Saturday ? "Saturday" : "Sunday";
  return {};
}

bool WorkingCalendar::is_working_day(Date day) const { return day_off_reason(day).empty(); }

Date WorkingCalendar::add_working_days(Date from, int days) const {
  auto day = sys_days(from);
  for (int counted = 0; counted < days;) {
    day += std::chrono::days(1);
    if (is_working_day(Date(day))) ++counted;
  }
  return Date(day);
}

int WorkingCalendar::working_days_between(Date from, Date to) const {
  int count = 0;
  for (auto day = sys_days(from) + std::chrono::days(1); day <= sys_days(to); day += std::chrono::days(1))
    if (is_working_day(Date(day))) ++count;
  return count;
}

bool WorkingCalendar::covers(Date day) const {
  const int year = static_cast<int>(day.year());
  return year >= first_year_ && year <= last_year_;
}

}  // namespace stagegate::monitoring
