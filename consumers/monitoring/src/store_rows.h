#pragma once
// What the SQLite and PostgreSQL stores share: the tables and their migrations, the instant key
// of a stage time, the rules that merge a stage into what is known, and the mapping of rows
// (kApplicationColumns, kStageColumns, kFindingColumns, in that order) to the public structs.
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stagegate/monitoring/store.h"

namespace stagegate::monitoring {

// The tables of the first version (schema version 1), in SQL that SQLite and PostgreSQL both
// accept; a new store is created at version 1 and migrated like an old one, so the migrations
// run on every test.
inline constexpr const char* kMonitoringTablesVersion1 =
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
    "INSERT INTO position(id, sequence) VALUES (1, 0) ON CONFLICT DO NOTHING;"
    // Files of version 1 have no such table: they are at version 1.
    "CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);"
    "INSERT INTO schema_version(id, version) VALUES (1, 1) ON CONFLICT DO NOTHING;";

// migrations()[i] takes a store from version i + 1 to i + 2, one statement per element.
const std::vector<std::vector<std::string>>& migrations();

inline constexpr const char* kApplicationColumns =
    "provider_bin, application_id, service_code, service_name, provider_name, reception_date, planned_date,"
    " planned_source, computed_planned, planned_disagrees, execution_date, outcome, delay_kind, delay_reason,"
    " latest_stage, planned_unknown_reason, declared_planned, declared_latest, planned_moved_later";
inline constexpr const char* kStageColumns = "code, name, at, sequence, flag, received_at, entry_delay";
inline constexpr const char* kFindingColumns = "kind, stage, at, received_at, sequence, detail";

// "2026-11-20T10:15:00+05:00" -> "2026-11-20T05:15:00Z": stage times from providers in
// different offsets order correctly (a time without offset is local, local_time.h).
// Unparsable text sorts as given.
std::string utc_key(const std::string& date_time);

// The [since, until] local dates of active_between widened by a day each way: the stored times
// carry the provider's offset (or Z), whose text date can be a day off the local one, and the
// report decides on the exact local dates.
std::pair<std::string, std::string> widened_by_a_day(const std::string& since, const std::string& until);

// `text(i)` is column i of a row selected with kApplicationColumns / kStageColumns /
// kFindingColumns, as text.
using RowText = std::function<std::string(int)>;
Application application_from_row(const RowText& text);
StageEntry stage_from_row(const RowText& text);
DataFinding finding_from_row(const RowText& text);

// What the store already knows of an application when a stage of it comes.
struct KnownApplication {
  std::string closed_at;  // UTC key of its CLOSED stage, "" while open
  std::string reception_date;
  PlannedDate planned;
  std::string service_code;
};
inline constexpr const char* kKnownApplicationColumns =
    "closed_at, reception_date, planned_date, planned_source, planned_unknown_reason, computed_planned,"
    " declared_planned, declared_latest, planned_disagrees, planned_moved_later, service_code";
KnownApplication known_from_row(const RowText& text);

// The planned date after a stage: the first one computed stays (it never moves); an unknown one
// is filled in by a stage with the same service and reception date once the catalogue and calendar cover
// it (the operator extended them); what the provider declares is kept and compared.
// `incoming` is Monitor::plan of `record`.
PlannedDate merge_planned(const std::optional<KnownApplication>& known, const PlannedDate& incoming,
                          const StageRecord& record);

// The findings a stage's arrival shows against the history: after CLOSED; going backwards
// (an earlier stage code later in time than a later one: `conflicting` is such a stage, if
// any, as "code at"); a reception date or service other than the first one.
std::vector<DataFinding> findings_of(const StageRecord& record, std::uint64_t sequence,
                                     const std::optional<KnownApplication>& known, bool after_closed,
                                     const std::string& conflicting);

// The SQL condition, with the stage's code and UTC key as parameters `code` and `at_utc`
// (e.g. "?3", "$3"), of a stored stage that contradicts it in time.
std::string goes_backwards_condition(const std::string& code, const std::string& at_utc);

}  // namespace stagegate::monitoring
