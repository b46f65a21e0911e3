#pragma once
// What monitoring keeps per application: every stage with its actual time, the planned
// date and where it came from, execution and outcome. One interface; SQLite (the default) or
// PostgreSQL behind it.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stagegate/core/result.h"

namespace stagegate::monitoring {

// One stage notification as monitoring reads it (from the stagegate.stage/1 JSON).
struct StageRecord {
  std::string application_id;
  std::string service_code;
  std::string service_name;
  std::string provider_bin;
  std::string provider_name;
  std::string reception_date;    // xsd:dateTime as sent
  std::string provider_planned;  // xsd:date, empty when the provider sent none
  std::string execution_date;    // xsd:dateTime, empty before stage 4
  int stage = 1;
  std::string stage_name;
  std::string stage_at;
  std::string outcome;      // ISSUED / REFUSED at stage 6
  std::string delay_kind;   // TECHNICAL / OTHER / empty
  std::string delay_reason;
  std::string received_at;  // when the gateway received it (UTC, "receivedAt"); empty from older journals
  // Working days from the stage's local date to the local date it was received; filled by
  // Monitor from the calendar, -1 when unknown.
  int entry_delay_working_days = -1;
};

// MALFORMED when the payload is not a stagegate.stage/1 message.
Result<StageRecord> parse_stage_message(const std::string& json);

// The planned date (seed 002, item 10): computed by monitoring from the service's legal term
// and the calendar when it first sees the application, from the local date of reception, and
// never moved afterwards. What the provider declares is kept beside it, never used.
struct PlannedDate {
  std::string date;             // the one monitoring uses: computed at reception, never moves; empty when unknown
  std::string source;           // "computed" or "unknown"
  std::string unknown_reason;   // when unknown, e.g. "service Z99-99 is not in the catalogue", "the calendar does not cover 2028"
  std::string computed;         // same as date when computed (kept for compatibility)
  std::string declared;         // the provider's first declared plannedDate, "" when none
  std::string declared_latest;  // the provider's latest declared plannedDate
  bool disagrees = false;       // a declared date differs from the computed one
  bool moved_later = false;     // the provider declared a later date than before or than computed
};

// Seed 002 item 9: stages are entered when they happen; more than this after is a late entry.
inline constexpr int kLateEntryAfterWorkingDays = 1;

struct StageEntry {
  int code = 0;
  std::string name;
  std::string at;
  std::uint64_t sequence = 0;
  std::string flag;                   // e.g. "after CLOSED"
  std::string received_at;            // UTC, "" unknown
  int entry_delay_working_days = -1;  // -1 unknown
  bool late_entry = false;            // entered more than kLateEntryAfterWorkingDays after the event
};

// What the history of an application shows to be wrong in a provider's data (CONTRACT
// section 5 lists them under DATA_INVALID; the gateway cannot judge them from one message).
inline constexpr const char* kStageAfterClosed = "stage after CLOSED";
inline constexpr const char* kStageGoesBackwards = "stage goes backwards";
inline constexpr const char* kReceptionDateChanged = "reception date changed";
inline constexpr const char* kServiceChanged = "service changed";

struct DataFinding {
  std::string kind;  // kStageAfterClosed, kStageGoesBackwards, kReceptionDateChanged, kServiceChanged
  int stage = 0;     // the stage of the message it was found in
  std::string at;    // that stage's time, as sent
  std::string received_at;
  std::uint64_t sequence = 0;
  std::string detail;  // e.g. "stage 3 at 2025-10-02T09:00:00+05:00 came before it"
};

struct Application {
  std::string application_id;
  std::string service_code;
  std::string service_name;
  std::string provider_bin;
  std::string provider_name;
  std::string reception_date;
  PlannedDate planned;
  std::string execution_date;
  std::string outcome;
  std::string delay_kind;
  std::string delay_reason;
  int latest_stage = 0;  // highest stage reached
  std::vector<StageEntry> history;  // by actual time
  std::vector<DataFinding> findings;  // in the order they were found
};

// RecordedWithFinding: recorded, and its history shows a data finding other than after CLOSED.
enum class Applied { Recorded, Duplicate, RecordedAfterClosed, RecordedWithFinding };

class MonitoringStore {
 public:
  virtual ~MonitoringStore() = default;
  // Records the stage and moves the consumer position to `sequence` in one transaction.
  virtual Result<Applied> apply(const StageRecord& record, const PlannedDate& planned, std::uint64_t sequence) = 0;
  virtual std::uint64_t last_sequence() const = 0;
  virtual std::vector<Application> find(const std::string& application_id) const = 0;
  // Applications received on or before `until` (YYYY-MM-DD) that are not executed by
  // `since`, or were executed in [since, until]: the candidates of a monthly report, with a
  // day's margin each way (stored times carry the provider's offset; the caller decides on
  // local dates). Only applications with a planned date; see with_problems() for the others.
  virtual std::vector<Application> active_between(const std::string& since, const std::string& until) const = 0;
  // Applications whose planned date is unknown, or that have data findings (`status --problems`).
  virtual std::vector<Application> with_problems() const = 0;
};

// The schema version the stores create and migrate older files/databases to.
inline constexpr int kMonitoringSchemaVersion = 2;

// Throws std::runtime_error when the file cannot be opened.
std::unique_ptr<MonitoringStore> open_sqlite_store(const std::filesystem::path& file);
// A libpq connection string ("postgresql://user@host/db" or "host=... dbname=..."); the
// tables are created in the connection's search_path. Throws std::runtime_error when the
// server cannot be reached or the schema cannot be created.
std::unique_ptr<MonitoringStore> open_postgres_store(const std::string& conninfo);
// PostgreSQL when `location` is a connection string, otherwise a SQLite file.
bool names_postgres(const std::string& location);
std::unique_ptr<MonitoringStore> open_store(const std::string& location);

}  // namespace stagegate::monitoring
