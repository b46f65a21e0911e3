// The monitoring store in PostgreSQL, for deployments whose history outgrows one SQLite file
// or is shared by several monitoring instances. Same tables and rules as the SQLite store;
// the position row is locked FOR UPDATE so concurrent consumers apply one message once.
#include <libpq-fe.h>

#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "stagegate/monitoring/store.h"
#include "store_rows.h"

namespace stagegate::monitoring {
namespace {

struct ConnectionClose {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct ResultClear {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Connection = std::unique_ptr<PGconn, ConnectionClose>;
using Rows = std::unique_ptr<PGresult, ResultClear>;

// Later facts win; a late earlier stage does not move latest_stage back; the planned date comes
// merged (merge_planned), the reception date stays the first one.
constexpr const char* kUpsertApplication =
    "INSERT INTO applications AS a(provider_bin, application_id, service_code, service_name, provider_name,"
    " reception_date, planned_date, planned_source, computed_planned, planned_disagrees, execution_date, outcome,"
    " delay_kind, delay_reason, latest_stage, closed_at, planned_unknown_reason, declared_planned, declared_latest,"
    " planned_moved_later)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    " ON CONFLICT(provider_bin, application_id) DO UPDATE SET"
    " planned_date = excluded.planned_date, planned_source = excluded.planned_source,"
    " computed_planned = excluded.computed_planned, planned_disagrees = excluded.planned_disagrees,"
    " planned_unknown_reason = excluded.planned_unknown_reason, declared_planned = excluded.declared_planned,"
    " declared_latest = excluded.declared_latest, planned_moved_later = excluded.planned_moved_later,"
    " execution_date = CASE WHEN excluded.execution_date != '' THEN excluded.execution_date ELSE a.execution_date END,"
    " outcome = CASE WHEN excluded.outcome != '' THEN excluded.outcome ELSE a.outcome END,"
    " delay_kind = CASE WHEN excluded.delay_kind != '' THEN excluded.delay_kind ELSE a.delay_kind END,"
    " delay_reason = CASE WHEN excluded.delay_kind != '' THEN excluded.delay_reason ELSE a.delay_reason END,"
    " latest_stage = GREATEST(a.latest_stage, excluded.latest_stage),"
    " closed_at = CASE WHEN excluded.closed_at != '' AND (a.closed_at = '' OR excluded.closed_at < a.closed_at)"
    "   THEN excluded.closed_at ELSE a.closed_at END";

class PostgresStore final : public MonitoringStore {
 public:
  explicit PostgresStore(const std::string& conninfo) : connection_(PQconnectdb(conninfo.c_str())) {
    if (!connection_ || PQstatus(connection_.get()) != CONNECTION_OK)
      throw std::runtime_error("monitoring store: cannot connect to PostgreSQL: " +
                               std::string(connection_ ? PQerrorMessage(connection_.get()) : "out of memory"));
    // "relation already exists, skipping" on every start is not news for the operator.
    PQsetNoticeProcessor(connection_.get(), [](void*, const char*) {}, nullptr);
    // Several instances may start at once; the lock makes creating the schema happen once.
    std::string error;
    if (!command("SELECT pg_advisory_lock(7361)", {}, error) || !command(kMonitoringTablesVersion1, {}, error) ||
        !migrate(error) || !command("SELECT pg_advisory_unlock(7361)", {}, error))
      throw std::runtime_error("monitoring store: cannot create the schema: " + error);
  }

  Result<Applied> apply(const StageRecord& record, const PlannedDate& planned, std::uint64_t sequence) override {
    std::lock_guard lock(mutex_);
    std::string error;
    if (!command("BEGIN", {}, error)) return refuse(Code::Internal, "monitoring store: " + error);
    auto outcome = apply_in_transaction(record, planned, sequence);
    if (!outcome || !command("COMMIT", {}, error)) {
      std::string ignored;
      command("ROLLBACK", {}, ignored);
      if (outcome) return refuse(Code::Internal, "monitoring store: " + error);
    }
    return outcome;
  }

  std::uint64_t last_sequence() const override {
    std::lock_guard lock(mutex_);
    const auto rows = query("SELECT sequence FROM position WHERE id = 1", {});
    return rows && PQntuples(rows.get()) == 1 ? std::stoull(PQgetvalue(rows.get(), 0, 0)) : 0;
  }

  std::vector<Application> find(const std::string& application_id) const override {
    return select(std::string("SELECT ") + kApplicationColumns + " FROM applications WHERE application_id = $1",
                  {application_id});
  }

  std::vector<Application> active_between(const std::string& since, const std::string& until) const override {
    const auto widened = widened_by_a_day(since, until);
    return select(std::string("SELECT ") + kApplicationColumns +
                      " FROM applications WHERE substr(reception_date, 1, 10) <= $2 AND planned_date != ''"
                      " AND (execution_date = '' OR substr(execution_date, 1, 10) >= $1)"
                      " ORDER BY provider_bin, application_id",
                  {widened.first, widened.second});
  }

  std::vector<Application> with_problems() const override {
    return select(std::string("SELECT ") + kApplicationColumns +
                      " FROM applications a WHERE planned_date = '' OR EXISTS (SELECT 1 FROM findings f"
                      " WHERE f.provider_bin = a.provider_bin AND f.application_id = a.application_id)"
                      " ORDER BY provider_bin, application_id",
                  {});
  }

 private:
  // Under the advisory lock of the constructor; each step in its own transaction.
  bool migrate(std::string& error) {
    for (;;) {
      const auto version = query("SELECT version FROM schema_version WHERE id = 1", {});
      if (!version || PQresultStatus(version.get()) != PGRES_TUPLES_OK || PQntuples(version.get()) != 1) {
        error = PQerrorMessage(connection_.get());
        return false;
      }
      const int current = std::stoi(PQgetvalue(version.get(), 0, 0));
      if (current >= kMonitoringSchemaVersion) return true;
      bool done = command("BEGIN", {}, error);
      for (const auto& statement : migrations().at(static_cast<std::size_t>(current - 1)))
        done = done && command(statement.c_str(), {}, error);
      done = done && command("UPDATE schema_version SET version = $1 WHERE id = 1", {std::to_string(current + 1)}, error) &&
             command("COMMIT", {}, error);
      if (!done) {
        std::string ignored;
        command("ROLLBACK", {}, ignored);
        return false;
      }
    }
  }

  // Parameters travel as text and take the types of the columns they meet.
  Rows query(const char* sql, const std::vector<std::string>& parameters) const {
    std::vector<const char*> values;
    for (const auto& parameter : parameters) values.push_back(parameter.c_str());
    return Rows(PQexecParams(connection_.get(), sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                             nullptr, 0));
  }

  bool command(const char* sql, const std::vector<std::string>& parameters, std::string& error) const {
    // Without parameters PQexec, so that kSchema may hold several statements.
    const auto rows = parameters.empty() ? Rows(PQexec(connection_.get(), sql)) : query(sql, parameters);
    const auto status = rows ? PQresultStatus(rows.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return true;
    error = PQerrorMessage(connection_.get());
    return false;
  }

  Refusal failed(const char* what) const {
    return refuse(Code::Internal, std::string("monitoring store: ") + what + ": " + PQerrorMessage(connection_.get()));
  }

  Result<Applied> apply_in_transaction(const StageRecord& record, const PlannedDate& planned, std::uint64_t sequence) {
    const auto position = query("SELECT sequence FROM position WHERE id = 1 FOR UPDATE", {});
    if (!position || PQresultStatus(position.get()) != PGRES_TUPLES_OK || PQntuples(position.get()) != 1)
      return failed("position");
    if (std::stoull(PQgetvalue(position.get(), 0, 0)) >= sequence) return Applied::Duplicate;  // delivered again
    std::string error;
    if (!command("UPDATE position SET sequence = $1 WHERE id = 1", {std::to_string(sequence)}, error))
      return failed("position");

    const auto existing = query((std::string("SELECT ") + kKnownApplicationColumns +
                                 " FROM applications WHERE provider_bin = $1 AND application_id = $2").c_str(),
                                {record.provider_bin, record.application_id});
    if (!existing || PQresultStatus(existing.get()) != PGRES_TUPLES_OK) return failed("application");
    std::optional<KnownApplication> known;
    if (PQntuples(existing.get()) == 1)
      known = known_from_row([&](int column) { return std::string(PQgetvalue(existing.get(), 0, column)); });

    const auto at_utc = utc_key(record.stage_at);
    const bool after_closed = known && !known->closed_at.empty() && record.stage != 6 && at_utc > known->closed_at;
    const auto contradicting =
        query(("SELECT code || ' at ' || at FROM stages WHERE provider_bin = $1 AND application_id = $2 AND " +
               goes_backwards_condition("$3", "$4") + " ORDER BY at_utc LIMIT 1").c_str(),
              {record.provider_bin, record.application_id, std::to_string(record.stage), at_utc});
    if (!contradicting || PQresultStatus(contradicting.get()) != PGRES_TUPLES_OK) return failed("stage");
    const std::string conflicting = PQntuples(contradicting.get()) == 1 ? PQgetvalue(contradicting.get(), 0, 0) : "";

    const auto stage = query(
        "INSERT INTO stages(provider_bin, application_id, code, name, at, at_utc, sequence, flag, received_at, entry_delay)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        {record.provider_bin, record.application_id, std::to_string(record.stage), record.stage_name, record.stage_at,
         at_utc, std::to_string(sequence), after_closed ? "after CLOSED" : "", record.received_at,
         std::to_string(record.entry_delay_working_days)});
    if (!stage || PQresultStatus(stage.get()) != PGRES_COMMAND_OK) return failed("stage");
    if (std::string(PQcmdTuples(stage.get())) == "0") return Applied::Duplicate;  // the same stage at the same time

    const auto findings = findings_of(record, sequence, known, after_closed, conflicting);
    for (const auto& finding : findings)
      if (!command("INSERT INTO findings(provider_bin, application_id, kind, stage, at, received_at, sequence, detail)"
                   " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                   {record.provider_bin, record.application_id, finding.kind, std::to_string(finding.stage), finding.at,
                    finding.received_at, std::to_string(finding.sequence), finding.detail},
                   error))
        return failed("finding");

    const auto merged = merge_planned(known, planned, record);
    if (!command(kUpsertApplication,
                 {record.provider_bin, record.application_id, record.service_code, record.service_name,
                  record.provider_name, record.reception_date, merged.date, merged.source, merged.computed,
                  merged.disagrees ? "1" : "0", record.execution_date, record.outcome, record.delay_kind,
                  record.delay_reason, std::to_string(record.stage), record.stage == 6 ? at_utc : std::string(),
                  merged.unknown_reason, merged.declared, merged.declared_latest, merged.moved_later ? "1" : "0"},
                 error))
      return failed("application");
    if (after_closed) return Applied::RecordedAfterClosed;
    return findings.empty() ? Applied::Recorded : Applied::RecordedWithFinding;
  }

  std::vector<Application> select(const std::string& sql, const std::vector<std::string>& parameters) const {
    std::lock_guard lock(mutex_);
    std::vector<Application> found;
    const auto rows = query(sql.c_str(), parameters);
    if (!rows || PQresultStatus(rows.get()) != PGRES_TUPLES_OK)
      throw std::runtime_error("monitoring store: " + std::string(PQerrorMessage(connection_.get())));
    for (int row = 0; row < PQntuples(rows.get()); ++row)
      found.push_back(application_from_row([&](int column) { return std::string(PQgetvalue(rows.get(), row, column)); }));
    for (auto& application : found) {
      const auto history = query((std::string("SELECT ") + kStageColumns +
                                  " FROM stages WHERE provider_bin = $1 AND application_id = $2 ORDER BY at_utc, code")
                                     .c_str(),
                                 {application.provider_bin, application.application_id});
      if (history && PQresultStatus(history.get()) == PGRES_TUPLES_OK)
        for (int row = 0; row < PQntuples(history.get()); ++row)
          application.history.push_back(
              stage_from_row([&](int column) { return std::string(PQgetvalue(history.get(), row, column)); }));
      const auto findings = query((std::string("SELECT ") + kFindingColumns +
                                   " FROM findings WHERE provider_bin = $1 AND application_id = $2 ORDER BY sequence, kind")
                                      .c_str(),
                                  {application.provider_bin, application.application_id});
      if (findings && PQresultStatus(findings.get()) == PGRES_TUPLES_OK)
        for (int row = 0; row < PQntuples(findings.get()); ++row)
          application.findings.push_back(
              finding_from_row([&](int column) { return std::string(PQgetvalue(findings.get(), row, column)); }));
    }
    return found;
  }

  Connection connection_;
  mutable std::mutex mutex_;
};

}  // namespace

std::unique_ptr<MonitoringStore> open_postgres_store(const std::string& conninfo) {
  return std::make_unique<PostgresStore>(conninfo);
}

bool names_postgres(const std::string& location) {
  return location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0 ||
         location.find("dbname=") != std::string::npos || location.find("host=") != std::string::npos;
}

std::unique_ptr<MonitoringStore> open_store(const std::string& location) {
  if (names_postgres(location)) return open_postgres_store(location);
  return open_sqlite_store(location);
}

}  // namespace stagegate::monitoring
