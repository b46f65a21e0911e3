#include "stagegate/monitoring/report.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "report_labels.h"
#include "stagegate/core/markup_escape.h"

namespace stagegate::monitoring {
namespace {

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return std::string(text);
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// The local date of a time as sent; nothing when it is not a dateTime.
std::optional<Date> local_day(const std::string& date_time) {
  if (date_time.empty()) return std::nullopt;
  try {
    return local_date_of(date_time);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
}

bool within(std::optional<Date> day, Date first, Date last) {
  return day && std::chrono::sys_days(*day) >= std::chrono::sys_days(first) &&
         std::chrono::sys_days(*day) <= std::chrono::sys_days(last);
}

class Groups {
 public:
  ViolationGroup& at(const std::string& key) {
    auto& group = groups_[key];
    group.key = key;
    return group;
  }
  static void count(ViolationGroup& group, const Violation* violation) {
    ++group.applications;
    if (!violation) return;
    ++(violation->open ? group.open_overdue : group.executed_late);
    if (violation->technical) ++group.technical;
    group.total_working_days += violation->overdue.working_days;
    group.total_calendar_days += violation->overdue.calendar_days;
    group.longest_working_days = std::max(group.longest_working_days, violation->overdue.working_days);
  }
  std::vector<ViolationGroup> sorted() const {
    std::vector<ViolationGroup> list;
    for (const auto& [key, group] : groups_) list.push_back(group);
    std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.violations() > b.violations(); });
    return list;
  }

 private:
  std::map<std::string, ViolationGroup> groups_;
};

struct BodyNames {
  std::string ru, kk, kind, top;
};

BodyNames names_of(const BodiesCatalogue& bodies, const std::string& bin, const std::string& sent_name) {
  const Body* body = bodies.find(bin);
  if (!body) return {sent_name, "", "", bin};
  return {body->name_ru, body->name_kk, std::string(body_kind_name(body->kind)), bodies.top_of(bin)};
}

DataNote note(const Application& application, std::string detail) {
  return {application.provider_bin, application.provider_name, application.application_id, std::move(detail)};
}

void list_late_entries(const Application& application, Date first, Date last, std::vector<DataNote>& into) {
  for (const auto& stage : application.history)
    if (stage.late_entry && within(local_day(stage.at), first, last))
      into.push_back(note(application, "stage " + std::to_string(stage.code) + " " + stage.name + " at " + stage.at +
                                           " entered " + stage.received_at + ", " +
                                           std::to_string(stage.entry_delay_working_days) + " working day(s) later"));
}

void list_declared_dates(const Application& application, std::vector<DataNote>& into) {
  const auto& planned = application.planned;
  if (!planned.disagrees && !planned.moved_later) return;
  std::string detail = "planned " + planned.date + " (computed); provider declared " + planned.declared;
  if (planned.declared_latest != planned.declared) detail += ", then " + planned.declared_latest;
  if (planned.moved_later) detail += "; MOVED LATER";
  into.push_back(note(application, detail));
}

}  // namespace

ReportLanguage report_language(const std::string& code) {
  if (code == "ru") return ReportLanguage::Russian;
  if (code == "kk") return ReportLanguage::Kazakh;
  throw std::invalid_argument("a report language is kk or ru");
}

ViolationReport build_violation_report(const MonitoringStore& store, const WorkingCalendar& calendar,
                                       const std::string& month, Date today, const BodiesCatalogue& bodies) {
  const auto first = parse_date(month + "-01");
  const Date last = first.year() / first.month() / std::chrono::last;
  const auto next = Date(std::chrono::sys_days(last) + std::chrono::days(1));
  ViolationReport report;
  report.month = month;
  report.deadline = format_date(next.year() / next.month() / std::chrono::day(15));
  const Date as_of{std::min(std::chrono::sys_days(last), std::chrono::sys_days(today))};
  report.as_of = format_date(as_of);

  Groups own, tops, services, pairs;
  for (auto& application : store.active_between(format_date(first), format_date(last))) {
    list_late_entries(application, first, last, report.late_entries);
    if (application.planned.date.empty()) continue;
    const auto planned = parse_date(application.planned.date);
    // Item 12: a violation belongs to the month its term ran out in, and only to it.
    if (!within(planned, first, last)) continue;
    list_declared_dates(application, report.declared_dates);
    const auto executed = local_day(application.execution_date);
    const bool open = !executed || std::chrono::sys_days(*executed) > std::chrono::sys_days(as_of);
    std::optional<Violation> violation;
    if (const auto overdue = overdue_between(planned, open ? as_of : *executed, calendar); overdue.late())
      violation = Violation{application, overdue, open, application.delay_kind == "TECHNICAL"};

    const auto body = names_of(bodies, application.provider_bin, application.provider_name);
    const Violation* counted = violation ? &*violation : nullptr;
    auto& own_group = own.at(application.provider_bin);
    own_group.name = body.ru, own_group.name_kk = body.kk, own_group.kind = body.kind, own_group.top = body.top;
    Groups::count(own_group, counted);
    auto& top_group = tops.at(body.top);
    const auto top_names = names_of(bodies, body.top, application.provider_name);
    top_group.name = top_names.ru, top_group.name_kk = top_names.kk, top_group.kind = top_names.kind, top_group.top = body.top;
    Groups::count(top_group, counted);
    auto& service_group = services.at(application.service_code);
    service_group.name = application.service_name;
    Groups::count(service_group, counted);
    auto& pair = pairs.at(application.provider_bin + " " + application.service_code);
    pair.name = body.ru + " — " + application.service_name;
    pair.name_kk = body.kk.empty() ? std::string() : body.kk + " — " + application.service_name;
    pair.top = body.top;
    Groups::count(pair, counted);

    ++report.applications;
    if (!violation) continue;
    ++report.total;
    if (violation->technical) ++report.technical;
    report.violations.push_back(std::move(*violation));
  }
  report.by_body = own.sorted();
  report.by_top_body = tops.sorted();
  report.by_service = services.sorted();
  report.by_body_service = pairs.sorted();

  for (const auto& application : store.with_problems()) {
    for (const auto& finding : application.findings)
      if (within(local_day(finding.received_at.empty() ? finding.at : finding.received_at), first, last))
        report.data_findings.push_back(
            note(application, finding.kind + ": stage " + std::to_string(finding.stage) + " at " + finding.at +
                                  (finding.detail.empty() ? std::string() : "; " + finding.detail)));
    if (application.planned.source != "unknown") continue;
    const auto received = local_day(application.reception_date);
    const auto executed = local_day(application.execution_date);
    const bool received_by_end = received && std::chrono::sys_days(*received) <= std::chrono::sys_days(last);
    const bool open_in_month = !executed || std::chrono::sys_days(*executed) >= std::chrono::sys_days(first);
    if (received_by_end && open_in_month)
      report.unknown_planned.push_back(note(application, "planned date unknown: " + application.planned.unknown_reason));
  }
  return report;
}

namespace {

nlohmann::json group_json(const ViolationGroup& group) {
  nlohmann::json json{{"key", group.key},
                      {"name", group.name},
                      {"applications", group.applications},
                      {"executedLate", group.executed_late},
                      {"openOverdue", group.open_overdue},
                      {"violations", group.violations()},
                      {"technical", group.technical},
                      {"totalOverdueWorkingDays", group.total_working_days},
                      {"totalOverdueCalendarDays", group.total_calendar_days},
                      {"longestOverdueWorkingDays", group.longest_working_days}};
  if (!group.name_kk.empty()) json["nameKk"] = group.name_kk;
  if (!group.top.empty()) json["top"] = group.top;
  if (!group.kind.empty()) json["kind"] = group.kind;
  return json;
}

nlohmann::json groups_json(const std::vector<ViolationGroup>& groups) {
  auto list = nlohmann::json::array();
  for (const auto& group : groups) list.push_back(group_json(group));
  return list;
}

nlohmann::json notes_json(const std::vector<DataNote>& notes) {
  auto list = nlohmann::json::array();
  for (const auto& n : notes)
    list.push_back({{"provider", n.provider_bin}, {"providerName", n.provider_name}, {"applicationId", n.application_id},
                    {"detail", n.detail}});
  return list;
}

std::string_view name_in(const ViolationGroup& group, ReportLanguage language) {
  return language == ReportLanguage::Kazakh && !group.name_kk.empty() ? group.name_kk : group.name;
}

}  // namespace

std::vector<std::string> report_corrections(const std::string& issued_json, const ViolationReport& current) {
  std::vector<std::string> corrections;
  const auto issued = nlohmann::json::parse(issued_json, nullptr, false);
  if (issued.is_discarded() || !issued.is_object()) return {"the issued report is not readable JSON"};
  const auto now = nlohmann::json::parse(report_json(current));
  const auto compare = [&](const std::string& what, const nlohmann::json& before, const nlohmann::json& after) {
    if (before != after)
      corrections.push_back(what + ": " + (before.is_null() ? std::string("none") : before.dump()) + " issued, " +
                            (after.is_null() ? std::string("none") : after.dump()) + " now");
  };
  for (const char* figure : {"applications", "violations", "technicalViolations"})
    compare(figure, issued.value(figure, nlohmann::json()), now.value(figure, nlohmann::json()));
  const std::pair<const char*, const char*> tables[] = {
      {"byTopBody", "top body"}, {"byBody", "body"}, {"byService", "service"}, {"byBodyService", "body and service"}};
  for (const auto& [table, label] : tables) {
    std::map<std::string, nlohmann::json> before, after;
    for (const auto& row : issued.value(table, nlohmann::json::array())) before[row.value("key", "")] = row;
    for (const auto& row : now.value(table, nlohmann::json::array())) after[row.value("key", "")] = row;
    for (auto& [key, row] : after) before.try_emplace(key, nlohmann::json());
    for (const auto& [key, row] : before) {
      const auto& current_row = after.count(key) ? after.at(key) : nlohmann::json();
      for (const char* figure : {"applications", "violations", "technical", "totalOverdueWorkingDays"})
        compare(std::string(label) + " " + key + " " + figure, row.is_null() ? nlohmann::json() : row.value(figure, nlohmann::json()),
                current_row.is_null() ? nlohmann::json() : current_row.value(figure, nlohmann::json()));
    }
  }
  return corrections;
}

std::string report_json(const ViolationReport& report) {
  nlohmann::json json;
  json["schema"] = "stagegate.violations/2";
  json["month"] = report.month;
  json["deadline"] = report.deadline;
  json["asOf"] = report.as_of;
  json["applications"] = report.applications;
  json["violations"] = report.total;
  json["technicalViolations"] = report.technical;
  json["byTopBody"] = groups_json(report.by_top_body);
  json["byBody"] = groups_json(report.by_body);
  json["byService"] = groups_json(report.by_service);
  json["byBodyService"] = groups_json(report.by_body_service);
  json["technical"] = nlohmann::json::array();
  for (const auto& violation : report.violations)
    if (violation.technical)
      json["technical"].push_back({{"applicationId", violation.application.application_id},
                                   {"body", violation.application.provider_bin},
                                   {"bodyName", violation.application.provider_name},
                                   {"service", violation.application.service_code},
                                   {"overdueWorkingDays", violation.overdue.working_days},
                                   {"reason", violation.application.delay_reason}});
  json["lateEntries"] = notes_json(report.late_entries);
  json["dataFindings"] = notes_json(report.data_findings);
  json["declaredDates"] = notes_json(report.declared_dates);
  json["plannedDateUnknown"] = notes_json(report.unknown_planned);
  if (!report.issued_at.empty()) {
    json["issued"] = {{"issuedAt", report.issued_at}, {"sha256", report.issued_sha256}};
    json["corrections"] = report.corrections;
  }
  return json.dump(2) + "\n";
}

std::string report_csv(const ViolationReport& report, ReportLanguage language) {
  const auto& l = labels_for(language);
  std::ostringstream out;
  out << "# " << l.title << ", " << report.month << "; " << l.deadline << " " << report.deadline << "; " << l.as_of << " "
      << report.as_of << "\n";
  out << "section," << csv_field(l.code) << ',' << csv_field(l.name) << ',' << csv_field(l.rolls_up_to) << ','
      << csv_field(l.applications) << ',' << csv_field(l.executed_late) << ',' << csv_field(l.open_overdue) << ','
      << csv_field(l.violations) << ',' << csv_field(l.technical) << ',' << csv_field(l.total_working_days) << ','
      << csv_field(l.total_calendar_days) << ',' << csv_field(l.longest_working_days) << '\n';
  const auto rows = [&](const char* section, const std::vector<ViolationGroup>& list) {
    for (const auto& g : list)
      out << section << ',' << csv_field(g.key) << ',' << csv_field(name_in(g, language)) << ',' << csv_field(g.top) << ','
          << g.applications << ',' << g.executed_late << ',' << g.open_overdue << ',' << g.violations() << ','
          << g.technical << ',' << g.total_working_days << ',' << g.total_calendar_days << ',' << g.longest_working_days
          << '\n';
  };
  rows("top_body", report.by_top_body);
  rows("body", report.by_body);
  rows("service", report.by_service);
  rows("body_service", report.by_body_service);
  out << "total,,,," << report.applications << ",,," << report.total << ',' << report.technical << ",,,\n";
  for (const auto& v : report.violations)
    if (v.technical)
      out << "technical," << csv_field(v.application.application_id) << ',' << csv_field(v.application.provider_name) << ','
          << csv_field(v.application.provider_bin) << ',' << csv_field(v.application.service_code) << ','
          << v.overdue.working_days << ',' << csv_field(v.application.delay_reason) << '\n';
  const auto notes = [&](const char* section, const std::vector<DataNote>& list) {
    for (const auto& n : list)
      out << section << ',' << csv_field(n.provider_bin) << ',' << csv_field(n.provider_name) << ','
          << csv_field(n.application_id) << ',' << csv_field(n.detail) << '\n';
  };
  notes("late_entry", report.late_entries);
  notes("data_finding", report.data_findings);
  notes("declared_date", report.declared_dates);
  notes("planned_date_unknown", report.unknown_planned);
  if (!report.issued_at.empty()) {
    out << "issued," << report.issued_at << ',' << report.issued_sha256 << '\n';
    for (const auto& correction : report.corrections) out << "correction," << csv_field(correction) << '\n';
  }
  return out.str();
}

std::string report_html(const ViolationReport& report, ReportLanguage language) {
  const auto& l = labels_for(language);
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"" << l.lang << "\"><head><meta charset=\"utf-8\"><title>" << l.title << ", "
      << report.month << "</title>\n<style>body{font-family:sans-serif;margin:2em;color:#222}"
         "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:.3em .6em;text-align:left}"
         "td.n{text-align:right}th{background:#eee}.note{color:#555}</style></head><body>\n";
  out << "<h1>" << l.title << ", " << report.month << "</h1>\n";
  out << "<p class=\"note\">" << l.deadline << ": <strong>" << report.deadline << "</strong>. " << l.as_of << " "
      << report.as_of << ". " << l.applications << ": " << report.applications << ". " << l.violations << ": <strong>"
      << report.total << "</strong>, " << l.including_technical << ": " << report.technical << ".</p>\n";

  int most = 1;
  for (const auto& g : report.by_top_body) most = std::max(most, g.violations());
  const int bar_height = 22;
  out << "<h2>" << l.by_top_body << "</h2>\n<svg role=\"img\" aria-label=\"" << l.violations << "\" width=\"760\" height=\""
      << bar_height * static_cast<int>(report.by_top_body.size()) + 10 << "\">\n";
  int y = 5;
  for (const auto& g : report.by_top_body) {
    const int width = 400 * g.violations() / most;
    out << "<text x=\"0\" y=\"" << y + 15 << "\" font-size=\"12\">" << markup_escaped(std::string(name_in(g, language)).substr(0, 60))
        << "</text><rect x=\"330\" y=\"" << y << "\" width=\"" << width << "\" height=\"" << bar_height - 6
        << "\" fill=\"#c0392b\"/><text x=\"" << 335 + width << "\" y=\"" << y + 14 << "\" font-size=\"12\">"
        << g.violations() << "</text>\n";
    y += bar_height;
  }
  out << "</svg>\n";

  const auto table = [&](std::string_view title, std::string_view key_name, const std::vector<ViolationGroup>& list) {
    out << "<h2>" << title << "</h2>\n<table><tr><th>" << key_name << "</th><th>" << l.name << "</th><th>"
        << l.rolls_up_to << "</th><th>" << l.applications << "</th><th>" << l.executed_late << "</th><th>" << l.open_overdue
        << "</th><th>" << l.violations << "</th><th>" << l.technical << "</th><th>" << l.total_working_days << "</th><th>"
        << l.total_calendar_days << "</th><th>" << l.longest_working_days << "</th></tr>\n";
    for (const auto& g : list)
      out << "<tr><td>" << markup_escaped(g.key) << "</td><td>" << markup_escaped(name_in(g, language)) << "</td><td>"
          << markup_escaped(g.top == g.key ? std::string() : g.top) << "</td><td class=\"n\">" << g.applications
          << "</td><td class=\"n\">" << g.executed_late << "</td><td class=\"n\">" << g.open_overdue
          << "</td><td class=\"n\">" << g.violations() << "</td><td class=\"n\">" << g.technical << "</td><td class=\"n\">"
          << g.total_working_days << "</td><td class=\"n\">" << g.total_calendar_days << "</td><td class=\"n\">"
          << g.longest_working_days << "</td></tr>\n";
    out << "</table>\n";
  };
  table(l.by_top_body, l.bin, report.by_top_body);
  table(l.by_body, l.bin, report.by_body);
  table(l.by_service, l.code, report.by_service);
  table(l.by_body_service, l.code, report.by_body_service);

  out << "<h2>" << l.technical_list << "</h2>\n";
  if (report.technical == 0) out << "<p>" << l.none << "</p>\n";
  else {
    out << "<table><tr><th>" << l.application << "</th><th>" << l.body << "</th><th>" << l.service << "</th><th>"
        << l.overdue_working_days << "</th><th>" << l.reason << "</th></tr>\n";
    for (const auto& v : report.violations)
      if (v.technical)
        out << "<tr><td>" << markup_escaped(v.application.application_id) << "</td><td>"
            << markup_escaped(v.application.provider_name) << "</td><td>" << markup_escaped(v.application.service_code)
            << "</td><td class=\"n\">" << v.overdue.working_days << "</td><td>" << markup_escaped(v.application.delay_reason)
            << "</td></tr>\n";
    out << "</table>\n";
  }
  const auto notes = [&](std::string_view title, const std::vector<DataNote>& list) {
    out << "<h2>" << title << "</h2>\n";
    if (list.empty()) {
      out << "<p>" << l.none << "</p>\n";
      return;
    }
    out << "<table><tr><th>" << l.provider << "</th><th>" << l.application << "</th><th>" << l.detail << "</th></tr>\n";
    for (const auto& n : list)
      out << "<tr><td>" << markup_escaped(n.provider_bin) << " " << markup_escaped(n.provider_name) << "</td><td>"
          << markup_escaped(n.application_id) << "</td><td>" << markup_escaped(n.detail) << "</td></tr>\n";
    out << "</table>\n";
  };
  notes(l.late_entries, report.late_entries);
  notes(l.data_findings, report.data_findings);
  notes(l.declared_dates, report.declared_dates);
  notes(l.unknown_planned, report.unknown_planned);
  if (!report.issued_at.empty()) {
    out << "<h2>" << l.corrections << "</h2>\n<p class=\"note\">" << l.issued << " " << markup_escaped(report.issued_at)
        << ", SHA-256 " << markup_escaped(report.issued_sha256) << "</p>\n";
    if (report.corrections.empty()) out << "<p>" << l.none << "</p>\n";
    else {
      out << "<ul>\n";
      for (const auto& correction : report.corrections) out << "<li>" << markup_escaped(correction) << "</li>\n";
      out << "</ul>\n";
    }
  }
  out << "</body></html>\n";
  return out.str();
}

}  // namespace stagegate::monitoring
