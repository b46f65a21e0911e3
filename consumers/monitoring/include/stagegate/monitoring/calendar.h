#pragma once
// Kazakhstan's working-day calendar: Saturdays and Sundays off; public holidays; a holiday
// that falls on a weekend gives the next working day off (Labour Code art. 85), except the
// holidays the file marks as never moving (Orthodox Christmas, Kurban Ait); and one-off
// transfers by order of the labour ministry (a weekday off, a weekend day worked).
//
// The data file (consumers/monitoring/data/kz-calendar.conf) is extended by operators each
// year; its lines:
//   holiday   MM-DD  name          every year, moves off a weekend
//   fixed     MM-DD  name          every year, never moves
//   once      YYYY-MM-DD name      that year only, never moves (Kurban Ait: lunar date)
//   transfer  YYYY-MM-DD(off) YYYY-MM-DD(worked) source
//   covers    YYYY YYYY           years the file was checked for (planned dates outside are refused)
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace stagegate::monitoring {

using Date = std::chrono::year_month_day;

class WorkingCalendar {
 public:
  // Throws std::runtime_error naming file and line on a bad line.
  static WorkingCalendar load(const std::filesystem::path& file);
  static WorkingCalendar parse(const std::string& text, const std::string& origin = "calendar");

  bool is_working_day(Date day) const;
  // Why `day` is not a working day ("Saturday", "Nauryz", "Nauryz (moved from 2025-03-22)",
  // "transfer: ..."), empty for a working day.
  std::string day_off_reason(Date day) const;
  // The n-th working day after `from` (n >= 1); `from` itself never counts.
  Date add_working_days(Date from, int days) const;
  // Working days in (from, to]: 0 when to <= from.
  int working_days_between(Date from, Date to) const;
  bool covers(Date day) const;
  std::pair<int, int> covered_years() const { return {first_year_, last_year_}; }

 private:
  struct Rule {
    unsigned month = 0;
    unsigned day = 0;
    std::string name;
    bool moves = true;
  };
  void build_year(int year) const;

  std::vector<Rule> yearly_;
  std::map<std::chrono::sys_days, std::string> once_;
  std::map<std::chrono::sys_days, std::string> transfers_off_;
  std::set<std::chrono::sys_days> transfers_worked_;
  int first_year_ = 0;
  int last_year_ = 0;
  // Days off per year, computed on first use (holidays, moves, transfers; weekends are implicit).
  mutable std::map<int, std::map<std::chrono::sys_days, std::string>> days_off_;
};

// "2025-03-10" <-> Date; parse throws std::invalid_argument on anything else.
Date parse_date(const std::string& text);
std::string format_date(Date day);

}  // namespace stagegate::monitoring
