#include "stagegate/monitoring/planning.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace stagegate::monitoring {

ServiceCatalogue ServiceCatalogue::load(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read services catalogue " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), file.string());
}

ServiceCatalogue ServiceCatalogue::parse(const std::string& text, const std::string& origin) {
  ServiceCatalogue catalogue;
  std::istringstream lines(text);
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream fields(line);
    ServiceTerm term;
    std::string unit;
    if (!(fields >> term.code)) continue;
    if (!(fields >> term.amount >> unit) || term.amount <= 0)
      throw std::runtime_error(origin + ":" + std::to_string(number) + ": expected <code> <amount> <unit> <name>");
    if (unit == "working_days") term.unit = TermUnit::WorkingDays;
    else if (unit == "calendar_days") term.unit = TermUnit::CalendarDays;
    else if (unit == "hours") term.unit = TermUnit::Hours;
    else throw std::runtime_error(origin + ":" + std::to_string(number) + ": unit must be working_days, calendar_days or hours");
    std::getline(fields >> std::ws, term.name);
    catalogue.terms_[term.code] = term;
  }
  return catalogue;
}

const ServiceTerm* ServiceCatalogue::find(const std::string& code) const {
  const auto found = terms_.find(code);
  return found == terms_.end() ? nullptr : &found->second;
}

Date local_date_of(const std::string& date_time) { return parse_date(date_time.substr(0, 10)); }

std::optional<Date> compute_planned_date(const std::string& reception, const ServiceTerm& term,
                                         const WorkingCalendar& calendar) {
  const Date received = local_date_of(reception);
  if (!calendar.covers(received)) return std::nullopt;
  Date planned;
  switch (term.unit) {
    case TermUnit::WorkingDays:
      planned = calendar.add_working_days(received, term.amount);
      break;
    case TermUnit::CalendarDays: {
      planned = Date(std::chrono::sys_days(received) + std::chrono::days(term.amount));
      if (!calendar.is_working_day(planned)) planned = calendar.add_working_days(planned, 1);
      break;
    }
    case TermUnit::Hours: {
      unsigned hour = 0, minute = 0;
      std::sscanf(reception.c_str() + 11, "%2u:%2u", &hour, &minute);
      const auto minutes = hour * 60 + minute + static_cast<unsigned>(term.amount) * 60;
      planned = Date(std::chrono::sys_days(received) + std::chrono::days(minutes / (24 * 60)));
      break;
    }
  }
  if (!calendar.covers(planned)) return std::nullopt;
  return planned;
}

Overdue overdue_between(Date planned, Date actual, const WorkingCalendar& calendar) {
  Overdue overdue;
  const auto days = (std::chrono::sys_days(actual) - std::chrono::sys_days(planned)).count();
  if (days <= 0) return overdue;
  overdue.calendar_days = static_cast<int>(days);
  overdue.working_days = calendar.working_days_between(planned, actual);
  return overdue;
}

}  // namespace stagegate::monitoring
