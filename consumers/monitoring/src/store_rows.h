#pragma once
// What the SQLite and PostgreSQL stores share: the instant key of a stage time and the
// mapping of an applications row (kApplicationColumns, in that order) to an Application.
#include <functional>
#include <string>

#include "stagegate/monitoring/store.h"

namespace stagegate::monitoring {

inline constexpr const char* kApplicationColumns =
    "provider_bin, application_id, service_code, service_name, provider_name, reception_date, planned_date,"
    " planned_source, computed_planned, planned_disagrees, execution_date, outcome, delay_kind, delay_reason,"
    " latest_stage";

// "2026-11-20T10:15:00+05:00" -> "2026-11-20T05:15:00Z": stage times from providers in
// different offsets order correctly. Unparsable text sorts as given.
std::string utc_key(const std::string& date_time);

// `text(i)` is column i of a row selected with kApplicationColumns, as text.
Application application_from_row(const std::function<std::string(int)>& text);

}  // namespace stagegate::monitoring
