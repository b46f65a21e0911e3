#include "stagegate/monitoring/monitor.h"

#include <iostream>
#include <sstream>

namespace stagegate::monitoring {

Monitor::Monitor(MonitoringStore& store, const WorkingCalendar& calendar, const ServiceCatalogue& services, Warn warn)
    : store_(store), calendar_(calendar), services_(services), warn_(std::move(warn)) {
  if (!warn_) warn_ = [](const std::string& text) { std::clog << "stagegate monitor: warning: " << text << std::endl; };
}

void Monitor::warn_once(const std::string& key, const std::string& text) {
  {
    std::lock_guard lock(warned_mutex_);
    if (!warned_.insert(key).second) return;
  }
  warn_(text);
}

PlannedDate Monitor::plan(const StageRecord& record) {
  PlannedDate planned;
  if (const auto* term = services_.find(record.service_code)) {
    const auto end = plan_from_term(record.reception_date, *term, calendar_);
    if (end.date) {
      planned.date = planned.computed = format_date(*end.date);
      planned.source = "computed";
    } else {
      planned.source = "unknown";
      planned.unknown_reason = end.unknown_reason;
      if (end.unknown_reason.rfind("the calendar does not cover ", 0) == 0)
        warn_once("year " + end.unknown_reason.substr(28),
                  end.unknown_reason + ": planned dates there are unknown until the calendar file is extended");
    }
  } else {
    planned.source = "unknown";
    planned.unknown_reason = "service " + record.service_code + " is not in the catalogue";
    warn_once("service " + record.service_code,
              planned.unknown_reason + ": its planned dates are unknown until the services catalogue has it");
  }
  planned.declared = planned.declared_latest = record.provider_planned;
  if (!record.provider_planned.empty() && !planned.computed.empty()) {
    planned.disagrees = record.provider_planned != planned.computed;
    planned.moved_later = record.provider_planned > planned.computed;
  }
  return planned;
}

Result<Applied> Monitor::handle(const std::string& payload, std::uint64_t sequence) {
  auto record = parse_stage_message(payload);
  if (!record) return record.refusal();
  auto& stage = record.value();
  if (!stage.received_at.empty())
    stage.entry_delay_working_days = entry_delay_working_days(stage.stage_at, stage.received_at, calendar_).value_or(-1);
  return store_.apply(stage, plan(stage), sequence);
}

Overdue overdue_of(const Application& application, Date today, const WorkingCalendar& calendar) {
  if (application.planned.date.empty()) return {};
  try {
    const auto planned = parse_date(application.planned.date);
    const auto actual = application.execution_date.empty() ? today : local_date_of(application.execution_date);
    return overdue_between(planned, actual, calendar);
  } catch (const std::invalid_argument&) {
    return {};
  }
}

namespace {

std::string planned_line(const PlannedDate& planned) {
  std::string line = planned.date.empty() ? "unknown: " + planned.unknown_reason : planned.date + " (computed)";
  if (!planned.declared.empty()) {
    line += "; provider declared " + planned.declared;
    if (planned.declared_latest != planned.declared) line += ", later " + planned.declared_latest;
    if (planned.disagrees) line += ", DISAGREES";
    else if (!planned.computed.empty()) line += ", agrees";
    if (planned.moved_later) line += ", MOVED LATER";
  }
  return line;
}

std::string entry_of(const StageEntry& stage) {
  if (stage.received_at.empty()) return "";
  std::string text = "  entered " + stage.received_at;
  if (stage.entry_delay_working_days >= 0)
    text += " (+" + std::to_string(stage.entry_delay_working_days) + " working day(s)" + (stage.late_entry ? ", LATE ENTRY" : "") + ")";
  return text;
}

}  // namespace

std::string describe(const Application& application, Date today, const WorkingCalendar& calendar) {
  std::ostringstream out;
  out << "application " << application.application_id << " (" << application.provider_name << ", BIN "
      << application.provider_bin << ")\n"
      << "service      " << application.service_code << " " << application.service_name << "\n"
      << "received     " << application.reception_date << "\n"
      << "planned      " << planned_line(application.planned) << "\n";
  out << "executed     " << (application.execution_date.empty() ? "not yet" : application.execution_date) << "\n";
  if (!application.outcome.empty()) out << "outcome      " << application.outcome << "\n";
  const auto overdue = overdue_of(application, today, calendar);
  out << "overdue      ";
  if (application.planned.date.empty())
    out << "unknown (no planned date)";
  else if (overdue.late())
    out << overdue.working_days << " working day(s), " << overdue.calendar_days << " calendar day(s)"
        << (application.execution_date.empty() ? " so far (open)" : "");
  else
    out << "none";
  out << "  (today " << format_date(today) << ", " << local_time_zone() << ")\n";
  if (!application.delay_kind.empty()) out << "delay reason " << application.delay_kind << ": " << application.delay_reason << "\n";
  out << "history\n";
  for (const auto& stage : application.history)
    out << "  " << stage.at << "  " << stage.code << " " << stage.name << "  (seq " << stage.sequence << ")"
        << entry_of(stage) << (stage.flag.empty() ? "" : "  [" + stage.flag + "]") << "\n";
  if (!application.findings.empty()) {
    out << "data findings\n";
    for (const auto& finding : application.findings)
      out << "  " << finding.kind << ": stage " << finding.stage << " at " << finding.at << " (seq " << finding.sequence
          << (finding.received_at.empty() ? "" : ", entered " + finding.received_at) << ")"
          << (finding.detail.empty() ? "" : "; " + finding.detail) << "\n";
  }
  return out.str();
}

std::string describe_problems(const std::vector<Application>& applications) {
  std::ostringstream out;
  for (const auto& application : applications) {
    out << application.application_id << "  BIN " << application.provider_bin << "  " << application.service_code;
    if (application.planned.date.empty()) out << "  planned date unknown: " << application.planned.unknown_reason;
    for (const auto& finding : application.findings) out << "  [" << finding.kind << ", stage " << finding.stage << "]";
    out << "\n";
  }
  return out.str();
}

}  // namespace stagegate::monitoring
