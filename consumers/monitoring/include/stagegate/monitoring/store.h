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
};

// MALFORMED when the payload is not a stagegate.stage/1 message.
Result<StageRecord> parse_stage_message(const std::string& json);

struct PlannedDate {
  std::string date;        // the one monitoring uses: the provider's when sent, else computed
  std::string source;      // "provider", "computed" or "unknown"
  std::string computed;    // from the services catalogue, empty when unknown
  bool disagrees = false;  // the provider's date differs from the computed one
};

struct StageEntry {
  int code = 0;
  std::string name;
  std::string at;
  std::uint64_t sequence = 0;
  std::string flag;  // e.g. "after CLOSED"
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
};

enum class Applied { Recorded, Duplicate, RecordedAfterClosed };

class MonitoringStore {
 public:
  virtual ~MonitoringStore() = default;
  // Records the stage and moves the consumer position to `sequence` in one transaction.
  virtual Result<Applied> apply(const StageRecord& record, const PlannedDate& planned, std::uint64_t sequence) = 0;
  virtual std::uint64_t last_sequence() const = 0;
  virtual std::vector<Application> find(const std::string& application_id) const = 0;
  // Applications received on or before `until` (YYYY-MM-DD) that are not executed by
  // `since`, or were executed in [since, until]: the candidates of a monthly report.
  virtual std::vector<Application> active_between(const std::string& since, const std::string& until) const = 0;
};

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
