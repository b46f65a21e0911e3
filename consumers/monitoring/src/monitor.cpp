#include "stagegate/monitoring/monitor.h"

#include <sstream>

namespace stagegate::monitoring {

Monitor::Monitor(MonitoringStore& store, const WorkingCalendar& calendar, const ServiceCatalogue& services)
    : store_(store), calendar_(calendar), services_(services) {}

PlannedDate Monitor::plan(const StageRecord& record) const {
  PlannedDate planned;
  if (const auto* term = services_.find(record.service_code)) {
    try {
      if (const auto computed = compute_planned_date(record.reception_date, *term, calendar_))
        planned.computed = format_date(*computed);
    } catch (const std::invalid_argument&) {
      // An unreadable reception date leaves the planned date to the provider.
    }
  }
  if (!record.provider_planned.empty()) {
    planned.date = record.provider_planned;
    planned.source = "provider";
    planned.disagrees = !planned.computed.empty() && planned.computed != record.provider_planned;
  } else if (!planned.computed.empty()) {
    planned.date = planned.computed;
    planned.source = "computed";
  } else {
    planned.source = "unknown";
  }
  return planned;
}

Result<Applied> Monitor::handle(const std::string& payload, std::uint64_t sequence) {
  auto record = parse_stage_message(payload);
  if (!record) return record.refusal();
  return store_.apply(record.value(), plan(record.value()), sequence);
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

std::string describe(const Application& application, Date today, const WorkingCalendar& calendar) {
  std::ostringstream out;
  out << "application " << application.application_id << " (" << application.provider_name << ", BIN "
      << application.provider_bin << ")\n"
      << "service      " << application.service_code << " " << application.service_name << "\n"
      << "received     " << application.reception_date << "\n"
      << "planned      " << (application.planned.date.empty() ? "unknown" : application.planned.date) << " ("
      << application.planned.source;
  if (application.planned.source == "provider" && !application.planned.computed.empty())
    out << "; computed " << application.planned.computed << (application.planned.disagrees ? ", DISAGREES" : ", agrees");
  out << ")\n";
  out << "executed     " << (application.execution_date.empty() ? "not yet" : application.execution_date) << "\n";
  if (!application.outcome.empty()) out << "outcome      " << application.outcome << "\n";
  const auto overdue = overdue_of(application, today, calendar);
  out << "overdue      ";
  if (overdue.late())
    out << overdue.working_days << " working day(s), " << overdue.calendar_days << " calendar day(s)"
        << (application.execution_date.empty() ? " so far (open)" : "");
  else
    out << "none";
  out << "\n";
  if (!application.delay_kind.empty()) out << "delay reason " << application.delay_kind << ": " << application.delay_reason << "\n";
  out << "history\n";
  for (const auto& stage : application.history)
    out << "  " << stage.at << "  " << stage.code << " " << stage.name << "  (seq " << stage.sequence << ")"
        << (stage.flag.empty() ? "" : "  [" + stage.flag + "]") << "\n";
  return out.str();
}

}  // namespace stagegate::monitoring
