#pragma once
// What the SQLite and PostgreSQL stores share: the tables, the instant key of a stage time and the
// mapping of an applications row (kApplicationColumns, in that order) to an Application.
#include <functional>
#include <string>

#include "stagegate/monitoring/store.h"

namespace stagegate::monitoring {

// The tables of both stores, in SQL that SQLite and PostgreSQL both accept.
inline constexpr const char* kMonitoringTables =
    "CREATE TABLE IF NOT EXISTS applications ("
    " provider_bin TEXT NOT NULL, application_id TEXT NOT NULL, service_code TEXT NOT NULL,"
    " service_name TEXT NOT NULL, provider_name TEXT NOT NULL, reception_date TEXT NOT NULL,"
    " planned_date TEXT NOT NULL, planned_source TEXT NOT NULL, computed_planned TEXT NOT NULL,"
    " planned_disagrees INTEGER NOT NULL, execution_date TEXT NOT NULL, outcome TEXT NOT NULL,"
    " delay_kind TEXT NOT NULL, delay_reason TEXT NOT NULL, latest_stage INTEGER NOT NULL,"
    " closed_at TEXT NOT NULL, PRIMARY KEY(provider_bin, application_id));"
    "CREATE INDEX IF NOT EXISTS applications_by_id ON applications(application_id);"
    "CREATE TABLE IF NOT EXISTS stages ("
    " provider_bin TEXT NOT NULL, application_id TEXT NOT NULL, code INTEGER NOT NULL, name TEXT NOT NULL,"
    " at TEXT NOT NULL, at_utc TEXT NOT NULL, sequence BIGINT NOT NULL, flag TEXT NOT NULL,"
    " PRIMARY KEY(provider_bin, application_id, code, at_utc));"
    "CREATE TABLE IF NOT EXISTS position (id INTEGER PRIMARY KEY CHECK (id = 1), sequence BIGINT NOT NULL);"
    "INSERT INTO position(id, sequence) VALUES (1, 0) ON CONFLICT DO NOTHING;";

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
