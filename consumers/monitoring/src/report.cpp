#include "stagegate/monitoring/report.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace stagegate::monitoring {
namespace {

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string html_escape(const std::string& text) {
  std::string escaped;
  for (const char c : text) {
    switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      default: escaped += c;
    }
  }
  return escaped;
}

void count_into(std::map<std::string, ViolationGroup>& groups, const std::string& key, const std::string& name,
                const Violation& violation) {
  auto& group = groups[key];
  group.key = key;
  group.name = name;
  if (violation.technical) {
    ++group.technical;
    return;
  }
  ++(violation.open ? group.open_overdue : group.executed_late);
  group.total_working_days += violation.overdue.working_days;
  group.total_calendar_days += violation.overdue.calendar_days;
  group.longest_working_days = std::max(group.longest_working_days, violation.overdue.working_days);
}

std::vector<ViolationGroup> sorted(const std::map<std::string, ViolationGroup>& groups) {
  std::vector<ViolationGroup> list;
  for (const auto& [key, group] : groups) list.push_back(group);
  std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
    return a.executed_late + a.open_overdue > b.executed_late + b.open_overdue;
  });
  return list;
}

nlohmann::json group_json(const ViolationGroup& group) {
  return {{"key", group.key},
          {"name", group.name},
          {"executedLate", group.executed_late},
          {"openOverdue", group.open_overdue},
          {"violations", group.executed_late + group.open_overdue},
          {"totalOverdueWorkingDays", group.total_working_days},
          {"totalOverdueCalendarDays", group.total_calendar_days},
          {"longestOverdueWorkingDays", group.longest_working_days},
          {"technical", group.technical}};
}

}  // namespace

ViolationReport build_violation_report(const MonitoringStore& store, const WorkingCalendar& calendar,
                                       const std::string& month, Date today) {
  const auto first = parse_date(month + "-01");
  const Date last = first.year() / first.month() / std::chrono::last;
  const auto next = Date(std::chrono::sys_days(last) + std::chrono::days(1));
  ViolationReport report;
  report.month = month;
  report.deadline = format_date(next.year() / next.month() / std::chrono::day(15));
  const auto as_of = std::min(std::chrono::sys_days(last), std::chrono::sys_days(today));
  report.as_of = format_date(Date(as_of));

  std::map<std::string, ViolationGroup> bodies, services;
  for (auto& application : store.active_between(format_date(first), format_date(last))) {
    Violation violation;
    const bool executed_in_month =
        !application.execution_date.empty() && application.execution_date.substr(0, 10) <= format_date(last);
    violation.open = !executed_in_month;
    try {
      const auto planned = parse_date(application.planned.date);
      const auto actual = violation.open ? Date(as_of) : local_date_of(application.execution_date);
      violation.overdue = overdue_between(planned, actual, calendar);
    } catch (const std::invalid_argument&) {
      continue;
    }
    if (!violation.overdue.late()) continue;
    violation.technical = application.delay_kind == "TECHNICAL";
    violation.application = std::move(application);
    const auto& a = violation.application;
    count_into(bodies, a.provider_bin, a.provider_name, violation);
    count_into(services, a.service_code, a.service_name, violation);
    ++(violation.technical ? report.technical : report.total);
    report.violations.push_back(std::move(violation));
  }
  report.by_body = sorted(bodies);
  report.by_service = sorted(services);
  return report;
}

std::string report_csv(const ViolationReport& report) {
  std::ostringstream out;
  out << "# Term violations, " << report.month << "; legal deadline " << report.deadline << "; open applications as of "
      << report.as_of << "\n";
  out << "group,key,name,executed_late,open_overdue,violations,total_overdue_working_days,total_overdue_calendar_days,"
         "longest_overdue_working_days,technical\n";
  const auto rows = [&](const char* group, const std::vector<ViolationGroup>& list) {
    for (const auto& g : list)
      out << group << ',' << csv_field(g.key) << ',' << csv_field(g.name) << ',' << g.executed_late << ',' << g.open_overdue
          << ',' << g.executed_late + g.open_overdue << ',' << g.total_working_days << ',' << g.total_calendar_days << ','
          << g.longest_working_days << ',' << g.technical << '\n';
  };
  rows("body", report.by_body);
  rows("service", report.by_service);
  out << "total,,," << ",," << report.total << ",,,," << report.technical << '\n';
  return out.str();
}

std::string report_json(const ViolationReport& report) {
  nlohmann::json json;
  json["schema"] = "stagegate.violations/1";
  json["month"] = report.month;
  json["deadline"] = report.deadline;
  json["asOf"] = report.as_of;
  json["violations"] = report.total;
  json["technicalViolations"] = report.technical;
  json["byBody"] = nlohmann::json::array();
  for (const auto& group : report.by_body) json["byBody"].push_back(group_json(group));
  json["byService"] = nlohmann::json::array();
  for (const auto& group : report.by_service) json["byService"].push_back(group_json(group));
  json["technical"] = nlohmann::json::array();
  for (const auto& violation : report.violations)
    if (violation.technical)
      json["technical"].push_back({{"applicationId", violation.application.application_id},
                                   {"body", violation.application.provider_name},
                                   {"service", violation.application.service_code},
                                   {"overdueWorkingDays", violation.overdue.working_days},
                                   {"reason", violation.application.delay_reason}});
  return json.dump(2) + "\n";
}

std::string report_html(const ViolationReport& report) {
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"ru\"><head><meta charset=\"utf-8\"><title>Term violations " << report.month
      << "</title>\n<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}"
         "th,td{border:1px solid #bbb;padding:.3em .6em;text-align:left}td.n{text-align:right}th{background:#eee}"
         ".note{color:#555}</style></head><body>\n";
  out << "<h1>Term violations of public services, " << report.month << "</h1>\n";
  out << "<p class=\"note\">Report of item 12 (seed 002); legal deadline <strong>" << report.deadline
      << "</strong>. Open applications are measured as of " << report.as_of << ". " << report.total
      << " violation(s), plus " << report.technical << " for technical reasons (listed apart).</p>\n";

  // A horizontal bar per government body.
  int most = 1;
  for (const auto& g : report.by_body) most = std::max(most, g.executed_late + g.open_overdue);
  const int bar_height = 22;
  out << "<h2>Violations by government body</h2>\n<svg role=\"img\" aria-label=\"violations by body\" width=\"760\" height=\""
      << bar_height * static_cast<int>(report.by_body.size()) + 10 << "\">\n";
  int y = 5;
  for (const auto& g : report.by_body) {
    const int count = g.executed_late + g.open_overdue;
    const int width = 400 * count / most;
    out << "<text x=\"0\" y=\"" << y + 15 << "\" font-size=\"12\">" << html_escape(g.name.substr(0, 60)) << "</text>"
        << "<rect x=\"330\" y=\"" << y << "\" width=\"" << width << "\" height=\"" << bar_height - 6
        << "\" fill=\"#c0392b\"/><text x=\"" << 335 + width << "\" y=\"" << y + 14 << "\" font-size=\"12\">" << count
        << "</text>\n";
    y += bar_height;
  }
  out << "</svg>\n";

  const auto table = [&](const char* title, const char* key_name, const std::vector<ViolationGroup>& list) {
    out << "<h2>" << title << "</h2>\n<table><tr><th>" << key_name
        << "</th><th>Name</th><th>Executed late</th><th>Open, overdue</th><th>Total overdue (working days)</th>"
           "<th>Total overdue (calendar days)</th><th>Longest (working days)</th><th>Technical</th></tr>\n";
    for (const auto& g : list)
      out << "<tr><td>" << html_escape(g.key) << "</td><td>" << html_escape(g.name) << "</td><td class=\"n\">"
          << g.executed_late << "</td><td class=\"n\">" << g.open_overdue << "</td><td class=\"n\">" << g.total_working_days
          << "</td><td class=\"n\">" << g.total_calendar_days << "</td><td class=\"n\">" << g.longest_working_days
          << "</td><td class=\"n\">" << g.technical << "</td></tr>\n";
    out << "</table>\n";
  };
  table("By government body", "BIN", report.by_body);
  table("By service", "Code", report.by_service);

  out << "<h2>Violations for technical reasons</h2>\n";
  if (report.technical == 0) out << "<p>None.</p>\n";
  else {
    out << "<table><tr><th>Application</th><th>Body</th><th>Service</th><th>Overdue (working days)</th><th>Reason</th></tr>\n";
    for (const auto& v : report.violations)
      if (v.technical)
        out << "<tr><td>" << html_escape(v.application.application_id) << "</td><td>" << html_escape(v.application.provider_name)
            << "</td><td>" << html_escape(v.application.service_code) << "</td><td class=\"n\">" << v.overdue.working_days
            << "</td><td>" << html_escape(v.application.delay_reason) << "</td></tr>\n";
    out << "</table>\n";
  }
  out << "</body></html>\n";
  return out.str();
}

}  // namespace stagegate::monitoring
