#pragma once
// Legal terms of services and the planned date and overdue they give (seed 002, items 10-11).
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "stagegate/monitoring/calendar.h"
#include "stagegate/monitoring/local_time.h"

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

// The planned date for a request received at `reception` (xsd:dateTime), counted from its
// local date (local_time.h): working days count from the day after reception; a term in
// calendar days that ends on a day off ends on the next working day; hours are counted on
// the clock and give the local date they end on.
struct TermEnd {
  std::optional<Date> date;
  std::string unknown_reason;  // when no date: "the calendar does not cover 2028", ...
};
TermEnd plan_from_term(const std::string& reception, const ServiceTerm& term, const WorkingCalendar& calendar);
// The same, nothing when the calendar does not cover it.
std::optional<Date> compute_planned_date(const std::string& reception, const ServiceTerm& term,
                                         const WorkingCalendar& calendar);

// Working days from the local date of `event` to the local date it was `entered` (both
// xsd:dateTime): 0 the same day or the next day off, 1 the next working day. Nothing when
// either is unreadable or outside the calendar's years. More than kLateEntryAfterWorkingDays (store.h) is a late entry
// (item 9).
std::optional<int> entry_delay_working_days(const std::string& event, const std::string& entered,
                                            const WorkingCalendar& calendar);

struct Overdue {
  int working_days = 0;
  int calendar_days = 0;
  bool late() const { return calendar_days > 0; }
};

// How far `actual` is past `planned` (zero when on time).
Overdue overdue_between(Date planned, Date actual, const WorkingCalendar& calendar);

}  // namespace stagegate::monitoring
