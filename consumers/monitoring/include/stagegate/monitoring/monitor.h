#pragma once
// The monitoring consumer's logic: a delivered stage message becomes a stored stage with
// its planned date; and the figures operators ask for (status, overdue) come out of it.
#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "stagegate/monitoring/calendar.h"
#include "stagegate/monitoring/planning.h"
#include "stagegate/monitoring/store.h"

namespace stagegate::monitoring {

class Monitor {
 public:
  // Told once per service missing from the catalogue and once per year the calendar does not
  // cover (for the whole run), so operators extend the files; std::clog when not given.
  using Warn = std::function<void(const std::string&)>;
  Monitor(MonitoringStore& store, const WorkingCalendar& calendar, const ServiceCatalogue& services, Warn warn = {});

  // MALFORMED for a payload that is not a stage message (the consumer refuses it);
  // INTERNAL when the store fails (the consumer refuses it and it comes again).
  Result<Applied> handle(const std::string& payload, std::uint64_t sequence);
  // The planned date this stage alone gives (computed from the catalogue and calendar, the
  // provider's declared date beside it); the store keeps the first one (merge_planned).
  PlannedDate plan(const StageRecord& record);

 private:
  void warn_once(const std::string& key, const std::string& text);

  MonitoringStore& store_;
  const WorkingCalendar& calendar_;
  const ServiceCatalogue& services_;
  Warn warn_;
  std::mutex warned_mutex_;
  std::set<std::string> warned_;
};

// Overdue of an application: against its execution date when executed, else against
// `today` (an open application past its planned date). Zero when on time or unknown.
Overdue overdue_of(const Application& application, Date today, const WorkingCalendar& calendar);

// A person-readable history with planned and overdue figures, entry delays and data findings
// (`stagegate status`).
std::string describe(const Application& application, Date today, const WorkingCalendar& calendar);
// One line per application whose planned date is unknown (with why) or that has data findings
// (`stagegate status --problems`).
std::string describe_problems(const std::vector<Application>& applications);

}  // namespace stagegate::monitoring
