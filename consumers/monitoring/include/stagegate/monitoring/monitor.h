#pragma once
// The monitoring consumer's logic: a delivered stage message becomes a stored stage with
// its planned date; and the figures operators ask for (status, overdue) come out of it.
#include <cstdint>
#include <string>

#include "stagegate/monitoring/calendar.h"
#include "stagegate/monitoring/planning.h"
#include "stagegate/monitoring/store.h"

namespace stagegate::monitoring {

class Monitor {
 public:
  Monitor(MonitoringStore& store, const WorkingCalendar& calendar, const ServiceCatalogue& services);

  // MALFORMED for a payload that is not a stage message (the consumer refuses it);
  // INTERNAL when the store fails (the consumer refuses it and it comes again).
  Result<Applied> handle(const std::string& payload, std::uint64_t sequence);
  PlannedDate plan(const StageRecord& record) const;

 private:
  MonitoringStore& store_;
  const WorkingCalendar& calendar_;
  const ServiceCatalogue& services_;
};

// Overdue of an application: against its execution date when executed, else against
// `today` (an open application past its planned date). Zero when on time or unknown.
Overdue overdue_of(const Application& application, Date today, const WorkingCalendar& calendar);

// A person-readable history with planned and overdue figures (`stagegate status`).
std::string describe(const Application& application, Date today, const WorkingCalendar& calendar);

}  // namespace stagegate::monitoring
