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

namespace {

std::string not_covered(Date day) {
  return "the calendar does not cover " + std::to_string(static_cast<int>(day.year()));
}

}  // namespace

TermEnd plan_from_term(const std::string& reception, const ServiceTerm& term, const WorkingCalendar& calendar) {
  const auto instant = instant_of(reception);
  if (!instant) return {std::nullopt, "reception date " + reception + " is not an xsd:dateTime"};
  const auto received = local_moment(*instant);
  if (!calendar.covers(received.day)) return {std::nullopt, not_covered(received.day)};
  Date planned;
  switch (term.unit) {
    case TermUnit::WorkingDays:
      planned = calendar.add_working_days(received.day, term.amount);
      break;
    case TermUnit::CalendarDays: {
      planned = Date(std::chrono::sys_days(received.day) + std::chrono::days(term.amount));
      if (calendar.covers(planned) && !calendar.is_working_day(planned)) planned = calendar.add_working_days(planned, 1);
      break;
    }
    case TermUnit::Hours:
      // On the clock: the local date of the instant the term runs out.
      planned = local_date_at(*instant + std::chrono::hours(term.amount));
      break;
  }
  if (!calendar.covers(planned)) return {std::nullopt, not_covered(planned)};
  return {planned, {}};
}

std::optional<Date> compute_planned_date(const std::string& reception, const ServiceTerm& term,
                                         const WorkingCalendar& calendar) {
  return plan_from_term(reception, term, calendar).date;
}

std::optional<int> entry_delay_working_days(const std::string& event, const std::string& entered,
                                            const WorkingCalendar& calendar) {
  const auto event_instant = instant_of(event);
  const auto entered_instant = instant_of(entered);
  if (!event_instant || !entered_instant) return std::nullopt;
  const auto event_day = local_date_at(*event_instant);
  const auto entered_day = local_date_at(*entered_instant);
  if (!calendar.covers(event_day) || !calendar.covers(entered_day)) return std::nullopt;
  return calendar.working_days_between(event_day, entered_day);
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
