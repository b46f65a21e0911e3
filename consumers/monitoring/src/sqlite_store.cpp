#include <mutex>
#include <optional>

#include "stagegate/bus/sqlite.h"
#include "stagegate/monitoring/store.h"
#include "store_rows.h"

namespace stagegate::monitoring {
namespace {

namespace sqlite = bus::sqlite;

class SqliteStore final : public MonitoringStore {
 public:
  explicit SqliteStore(const std::filesystem::path& file) : db_(open(file)) {}

  Result<Applied> apply(const StageRecord& record, const PlannedDate& planned, std::uint64_t sequence) override {
    std::lock_guard lock(mutex_);
    std::string error;
    if (!sqlite::exec(db_.get(), "BEGIN IMMEDIATE", error)) return refuse(Code::Internal, "monitoring store: " + error);
    auto outcome = apply_in_transaction(record, planned, sequence);
    if (!outcome) {
      sqlite::exec(db_.get(), "ROLLBACK", error);
      return outcome;
    }
    if (!sqlite::exec(db_.get(), "COMMIT", error)) {
      sqlite::exec(db_.get(), "ROLLBACK", error);
      return refuse(Code::Internal, "monitoring store: " + error);
    }
    return outcome;
  }

  std::uint64_t last_sequence() const override {
    std::lock_guard lock(mutex_);
    sqlite::Statement position(db_.get(), "SELECT sequence FROM position WHERE id = 1");
    return static_cast<std::uint64_t>(position.scalar());
  }

  std::vector<Application> find(const std::string& application_id) const override {
    return select(std::string("SELECT ") + kApplicationColumns + " FROM applications WHERE application_id = ?1", {application_id});
  }

  std::vector<Application> active_between(const std::string& since, const std::string& until) const override {
    const auto widened = widened_by_a_day(since, until);
    return select(std::string("SELECT ") + kApplicationColumns +
                      " FROM applications WHERE substr(reception_date, 1, 10) <= ?2 AND planned_date != ''"
                      " AND (execution_date = '' OR substr(execution_date, 1, 10) >= ?1)"
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
  static sqlite::Database open(const std::filesystem::path& file) {
    if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
    auto db = sqlite::open(file.string());
    sqlite::exec_setup_or_throw(db.get(), (std::string("PRAGMA journal_mode=WAL;") + kMonitoringTablesVersion1).c_str());
    migrate(db.get());
    return db;
  }

  // Each step in its own transaction, the version read inside it: a second process opening the
  // same file at once finds the step done.
  static void migrate(sqlite3* db) {
    for (;;) {
      sqlite::Transaction transaction(db);
      sqlite::Statement version(db, "SELECT version FROM schema_version WHERE id = 1");
      const auto current = static_cast<int>(version.scalar());
      if (current >= kMonitoringSchemaVersion) return;
      for (const auto& statement : migrations().at(static_cast<std::size_t>(current - 1)))
        sqlite::exec_or_throw(db, statement.c_str());
      sqlite::Statement advance(db, "UPDATE schema_version SET version = ?1 WHERE id = 1");
      advance.bind(1, static_cast<std::int64_t>(current + 1));
      advance.run();
      transaction.commit();
    }
  }

  Result<Applied> apply_in_transaction(const StageRecord& record, const PlannedDate& planned, std::uint64_t sequence) {
    sqlite::Statement position(db_.get(), "SELECT sequence FROM position WHERE id = 1");
    if (static_cast<std::uint64_t>(position.scalar()) >= sequence) return Applied::Duplicate;  // delivered again
    sqlite::Statement advance(db_.get(), "UPDATE position SET sequence = ?1 WHERE id = 1");
    advance.bind(1, static_cast<std::int64_t>(sequence));
    if (advance.step() != SQLITE_DONE) return failed("position");

    sqlite::Statement existing(db_.get(), (std::string("SELECT ") + kKnownApplicationColumns +
                                           " FROM applications WHERE provider_bin = ?1 AND application_id = ?2")
                                              .c_str());
    existing.bind(1, record.provider_bin);
    existing.bind(2, record.application_id);
    std::optional<KnownApplication> known;
    if (existing.step() == SQLITE_ROW) known = known_from_row([&](int column) { return existing.column_text(column); });
    existing.reset();

    const auto at_utc = utc_key(record.stage_at);
    const bool after_closed = known && !known->closed_at.empty() && record.stage != 6 && at_utc > known->closed_at;
    sqlite::Statement contradicting(db_.get(), ("SELECT code || ' at ' || at FROM stages WHERE provider_bin = ?1 AND"
                                                " application_id = ?2 AND " + goes_backwards_condition("?3", "?4") +
                                                " ORDER BY at_utc LIMIT 1").c_str());
    contradicting.bind(1, record.provider_bin);
    contradicting.bind(2, record.application_id);
    contradicting.bind(3, static_cast<std::int64_t>(record.stage));
    contradicting.bind(4, at_utc);
    const std::string conflicting = contradicting.step() == SQLITE_ROW ? contradicting.column_text(0) : std::string();
    contradicting.reset();

    sqlite::Statement stage(db_.get(),
                            "INSERT OR IGNORE INTO stages(provider_bin, application_id, code, name, at, at_utc, sequence, flag,"
                            " received_at, entry_delay) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    stage.bind(1, record.provider_bin);
    stage.bind(2, record.application_id);
    stage.bind(3, static_cast<std::int64_t>(record.stage));
    stage.bind(4, record.stage_name);
    stage.bind(5, record.stage_at);
    stage.bind(6, at_utc);
    stage.bind(7, static_cast<std::int64_t>(sequence));
    stage.bind(8, after_closed ? "after CLOSED" : "");
    stage.bind(9, record.received_at);
    stage.bind(10, static_cast<std::int64_t>(record.entry_delay_working_days));
    if (stage.step() != SQLITE_DONE) return failed("stage");
    if (sqlite3_changes(db_.get()) == 0) return Applied::Duplicate;  // the same stage at the same time

    const auto findings = findings_of(record, sequence, known, after_closed, conflicting);
    for (const auto& finding : findings) {
      sqlite::Statement insert(db_.get(),
                               "INSERT INTO findings(provider_bin, application_id, kind, stage, at, received_at, sequence,"
                               " detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
      insert.bind(1, record.provider_bin);
      insert.bind(2, record.application_id);
      insert.bind(3, finding.kind);
      insert.bind(4, static_cast<std::int64_t>(finding.stage));
      insert.bind(5, finding.at);
      insert.bind(6, finding.received_at);
      insert.bind(7, static_cast<std::int64_t>(finding.sequence));
      insert.bind(8, finding.detail);
      if (insert.step() != SQLITE_DONE) return failed("finding");
    }

    // Later facts win; a late earlier stage does not move latest_stage back; the planned date
    // comes merged (merge_planned), the reception date stays the first one.
    const auto merged = merge_planned(known, planned, record);
    sqlite::Statement upsert(
        db_.get(),
        "INSERT INTO applications(provider_bin, application_id, service_code, service_name, provider_name,"
        " reception_date, planned_date, planned_source, computed_planned, planned_disagrees, execution_date, outcome,"
        " delay_kind, delay_reason, latest_stage, closed_at, planned_unknown_reason, declared_planned, declared_latest,"
        " planned_moved_later)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"
        " ON CONFLICT(provider_bin, application_id) DO UPDATE SET"
        " planned_date = excluded.planned_date, planned_source = excluded.planned_source,"
        " computed_planned = excluded.computed_planned, planned_disagrees = excluded.planned_disagrees,"
        " planned_unknown_reason = excluded.planned_unknown_reason, declared_planned = excluded.declared_planned,"
        " declared_latest = excluded.declared_latest, planned_moved_later = excluded.planned_moved_later,"
        " execution_date = CASE WHEN excluded.execution_date != '' THEN excluded.execution_date ELSE execution_date END,"
        " outcome = CASE WHEN excluded.outcome != '' THEN excluded.outcome ELSE outcome END,"
        " delay_kind = CASE WHEN excluded.delay_kind != '' THEN excluded.delay_kind ELSE delay_kind END,"
        " delay_reason = CASE WHEN excluded.delay_kind != '' THEN excluded.delay_reason ELSE delay_reason END,"
        " latest_stage = MAX(latest_stage, excluded.latest_stage),"
        " closed_at = CASE WHEN excluded.closed_at != '' AND (closed_at = '' OR excluded.closed_at < closed_at)"
        "   THEN excluded.closed_at ELSE closed_at END");
    upsert.bind(1, record.provider_bin);
    upsert.bind(2, record.application_id);
    upsert.bind(3, record.service_code);
    upsert.bind(4, record.service_name);
    upsert.bind(5, record.provider_name);
    upsert.bind(6, record.reception_date);
    upsert.bind(7, merged.date);
    upsert.bind(8, merged.source);
    upsert.bind(9, merged.computed);
    upsert.bind(10, static_cast<std::int64_t>(merged.disagrees));
    upsert.bind(11, record.execution_date);
    upsert.bind(12, record.outcome);
    upsert.bind(13, record.delay_kind);
    upsert.bind(14, record.delay_reason);
    upsert.bind(15, static_cast<std::int64_t>(record.stage));
    upsert.bind(16, record.stage == 6 ? at_utc : std::string());
    upsert.bind(17, merged.unknown_reason);
    upsert.bind(18, merged.declared);
    upsert.bind(19, merged.declared_latest);
    upsert.bind(20, static_cast<std::int64_t>(merged.moved_later));
    if (upsert.step() != SQLITE_DONE) return failed("application");
    if (after_closed) return Applied::RecordedAfterClosed;
    return findings.empty() ? Applied::Recorded : Applied::RecordedWithFinding;
  }

  Refusal failed(const char* what) const {
    return refuse(Code::Internal, std::string("monitoring store: ") + what + ": " + sqlite3_errmsg(db_.get()));
  }

  std::vector<Application> select(const std::string& sql, const std::vector<std::string>& parameters) const {
    std::lock_guard lock(mutex_);
    sqlite::Statement rows(db_.get(), sql.c_str());
    for (std::size_t i = 0; i < parameters.size(); ++i) rows.bind(static_cast<int>(i + 1), parameters[i]);
    std::vector<Application> found;
    while (rows.step() == SQLITE_ROW) found.push_back(application_from_row([&](int column) { return rows.column_text(column); }));
    for (auto& application : found) {
      sqlite::Statement history(db_.get(), (std::string("SELECT ") + kStageColumns +
                                            " FROM stages WHERE provider_bin = ?1 AND application_id = ?2"
                                            " ORDER BY at_utc, code").c_str());
      history.bind(1, application.provider_bin);
      history.bind(2, application.application_id);
      while (history.step() == SQLITE_ROW)
        application.history.push_back(stage_from_row([&](int column) { return history.column_text(column); }));
      sqlite::Statement findings(db_.get(), (std::string("SELECT ") + kFindingColumns +
                                             " FROM findings WHERE provider_bin = ?1 AND application_id = ?2"
                                             " ORDER BY sequence, kind").c_str());
      findings.bind(1, application.provider_bin);
      findings.bind(2, application.application_id);
      while (findings.step() == SQLITE_ROW)
        application.findings.push_back(finding_from_row([&](int column) { return findings.column_text(column); }));
    }
    return found;
  }

  sqlite::Database db_;
  mutable std::mutex mutex_;
};

}  // namespace

std::unique_ptr<MonitoringStore> open_sqlite_store(const std::filesystem::path& file) {
  return std::make_unique<SqliteStore>(file);
}

}  // namespace stagegate::monitoring
