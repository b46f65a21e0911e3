#pragma once
// The monthly report of term violations (seed 002, item 12): per government body (rolled up
// from committees and territorial units to the central body, and from district to regional
// akimats) and per service, with the applications whose term ran out in the month, the
// violations INCLUDING those for technical reasons, and the technical ones also apart with
// their reasons. Each violation is counted once: in the month its term ran out. Beside the
// figures, what makes them doubtful: late entries, data findings, declared planned dates that
// disagree or were moved later, and applications whose planned date is unknown.
// Due by the 15th of the next month.
#include <string>
#include <vector>

#include "stagegate/monitoring/bodies.h"
#include "stagegate/monitoring/monitor.h"

namespace stagegate::monitoring {

struct Violation {
  Application application;
  Overdue overdue;
  bool open = false;       // not executed by the day the report measures to
  bool technical = false;  // delayReason kind TECHNICAL
};

struct ViolationGroup {
  std::string key;   // BIN, service code, or "BIN service" for the body × service table
  std::string name;     // Russian (the catalogue's) or as the messages gave it
  std::string name_kk;  // Kazakh, from the bodies catalogue; empty otherwise
  std::string top;   // for bodies: the top of the chain it rolls up to (itself when at the top)
  std::string kind;  // for bodies: central, committee, territorial, local, or "" when not in the catalogue
  int applications = 0;  // applications whose term ran out in the month
  int executed_late = 0;  // violations (technical included) executed after the term
  int open_overdue = 0;   // violations (technical included) still open past the term
  int technical = 0;      // of the violations, those for technical reasons
  int total_working_days = 0;
  int total_calendar_days = 0;
  int longest_working_days = 0;
  int violations() const { return executed_late + open_overdue; }
};

// A line in one of the report's lists of doubtful data, per provider.
struct DataNote {
  std::string provider_bin;
  std::string provider_name;
  std::string application_id;
  std::string detail;
};

struct ViolationReport {
  std::string month;     // YYYY-MM
  std::string deadline;  // YYYY-MM-15 of the next month
  std::string as_of;     // the date open applications were measured at
  std::vector<Violation> violations;  // technical ones included
  std::vector<ViolationGroup> by_body;          // each body that sent applications
  std::vector<ViolationGroup> by_top_body;      // rolled up to central bodies / regional akimats
  std::vector<ViolationGroup> by_service;
  std::vector<ViolationGroup> by_body_service;  // key "BIN service-code"
  int applications = 0;
  int total = 0;      // technical included (item 12)
  int technical = 0;  // of them, for technical reasons
  std::vector<DataNote> late_entries;      // stages of the month entered > 1 working day after the event
  std::vector<DataNote> data_findings;     // e.g. a stage after CLOSED, found in the month
  std::vector<DataNote> declared_dates;    // planned dates declared otherwise or moved later
  std::vector<DataNote> unknown_planned;   // "planned date unknown: <why>"
  // When the month's report was issued (report_archive.h): what the figures are now against it.
  std::string issued_at;
  std::string issued_sha256;
  std::vector<std::string> corrections;
};

// Each figure of `current` that differs from the issued report's JSON (stagegate.violations/2):
// "violations: 3 issued, 4 now", "body 050140001238 violations: 2 issued, 3 now", …
std::vector<std::string> report_corrections(const std::string& issued_json, const ViolationReport& current);

// `month` is YYYY-MM (std::invalid_argument otherwise). Open applications are measured at the
// month's last day, or `today` when the month is not over. `bodies` may be empty: then each
// sender is its own top.
ViolationReport build_violation_report(const MonitoringStore& store, const WorkingCalendar& calendar,
                                       const std::string& month, Date today,
                                       const BodiesCatalogue& bodies = BodiesCatalogue());

// Headings in Kazakh or Russian.
enum class ReportLanguage { Russian, Kazakh };
ReportLanguage report_language(const std::string& code);  // "ru" / "kk"; std::invalid_argument otherwise

std::string report_csv(const ViolationReport& report, ReportLanguage language = ReportLanguage::Russian);
// stagegate.violations/2 (docs/messages.md); keys are English, names as the catalogue gives them.
std::string report_json(const ViolationReport& report);
std::string report_html(const ViolationReport& report, ReportLanguage language = ReportLanguage::Russian);

}  // namespace stagegate::monitoring
