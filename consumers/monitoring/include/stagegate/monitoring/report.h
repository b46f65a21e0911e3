#pragma once
// The monthly report of term violations (seed 002, item 12): by government body and by
// service, with counts, total and longest overdue, violations for technical reasons apart.
// Due by the 15th of the next month.
#include <string>
#include <vector>

#include "stagegate/monitoring/monitor.h"

namespace stagegate::monitoring {

struct Violation {
  Application application;
  Overdue overdue;
  bool open = false;       // not executed by the end of the month
  bool technical = false;  // delayReason kind TECHNICAL
};

struct ViolationGroup {
  std::string key;   // BIN or service code
  std::string name;
  int executed_late = 0;
  int open_overdue = 0;
  int total_working_days = 0;
  int total_calendar_days = 0;
  int longest_working_days = 0;
  int technical = 0;  // counted apart, not in the figures above
};

struct ViolationReport {
  std::string month;     // YYYY-MM
  std::string deadline;  // YYYY-MM-15 of the next month
  std::string as_of;     // the date open applications were measured at
  std::vector<Violation> violations;
  std::vector<ViolationGroup> by_body;
  std::vector<ViolationGroup> by_service;
  int total = 0;      // not technical
  int technical = 0;  // technical
};

// `month` is YYYY-MM (std::invalid_argument otherwise). Open applications are measured
// at the month's last day, or `today` when the month is not over.
ViolationReport build_violation_report(const MonitoringStore& store, const WorkingCalendar& calendar,
                                       const std::string& month, Date today);

std::string report_csv(const ViolationReport& report);
std::string report_json(const ViolationReport& report);
std::string report_html(const ViolationReport& report);

}  // namespace stagegate::monitoring
