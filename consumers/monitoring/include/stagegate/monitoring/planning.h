#pragma once
// Legal terms of services and the planned date and overdue they give (seed 002, items 10-11).
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "stagegate/monitoring/calendar.h"

namespace stagegate::monitoring {

enum class TermUnit { WorkingDays, CalendarDays, Hours };

struct ServiceTerm {
  std::string code;  // register code, e.g. Z22-74
  int amount = 0;
  TermUnit unit = TermUnit::WorkingDays;
  std::string name;
};

// The services catalogue file, one service a line:
//   <code> <amount> <working_days|calendar_days|hours> <name>
class ServiceCatalogue {
 public:
  static ServiceCatalogue load(const std::filesystem::path& file);  // throws naming file:line
  static ServiceCatalogue parse(const std::string& text, const std::string& origin = "services");
  const ServiceTerm* find(const std::string& code) const;
  std::size_t size() const { return terms_.size(); }

 private:
  std::map<std::string, ServiceTerm> terms_;
};

// The planned date for a request received at `reception` (xsd:dateTime with offset; its
// local date is the provider's): working days count from the day after reception; a term
// in calendar days that ends on a day off ends on the next working day; hours are counted
// on the clock and give the date they end on. Nothing when the calendar does not cover it.
std::optional<Date> compute_planned_date(const std::string& reception, const ServiceTerm& term,
                                         const WorkingCalendar& calendar);

struct Overdue {
  int working_days = 0;
  int calendar_days = 0;
  bool late() const { return calendar_days > 0; }
};

// How far `actual` is past `planned` (zero when on time).
Overdue overdue_between(Date planned, Date actual, const WorkingCalendar& calendar);

// The local date of an xsd:dateTime ("2026-11-20T10:15:00+05:00" -> 2026-11-20).
Date local_date_of(const std::string& date_time);

}  // namespace stagegate::monitoring
