// The knowledge-base store in PostgreSQL, for deployments that keep it beside the monitoring
// store. Same rules as the SQLite store; the tables are prefixed kb_ so that both consumers may
// share one database and schema; the position row is locked FOR UPDATE so concurrent
// consumers apply one message once.
#include <libpq-fe.h>

#include <mutex>
#include <stdexcept>

#include "stagegate/knowledge_base/store.h"

namespace stagegate::knowledge_base {
namespace {

struct ConnectionClose {
  void operator()(PGconn* connection) const { PQfinish(connection); }
};
struct ResultClear {
  void operator()(PGresult* result) const { PQclear(result); }
};
using Connection = std::unique_ptr<PGconn, ConnectionClose>;
using Rows = std::unique_ptr<PGresult, ResultClear>;

constexpr const char* kTables =
    "CREATE TABLE IF NOT EXISTS kb_position (id INTEGER PRIMARY KEY CHECK (id = 1), sequence BIGINT NOT NULL);"
    "INSERT INTO kb_position(id, sequence) VALUES (1, 0) ON CONFLICT DO NOTHING;"
    "CREATE TABLE IF NOT EXISTS kb_service_versions ("
    " sequence BIGINT PRIMARY KEY, registry_number TEXT NOT NULL, body_bin TEXT NOT NULL, body_name TEXT NOT NULL,"
    " received_at TEXT NOT NULL, received_date TEXT NOT NULL, name_kk TEXT NOT NULL, name_ru TEXT NOT NULL,"
    " standard TEXT NOT NULL, regulation TEXT NOT NULL, legal_changes TEXT NOT NULL, url TEXT NOT NULL,"
    " responsible_name TEXT NOT NULL, responsible_position TEXT NOT NULL, responsible_phone TEXT NOT NULL,"
    " responsible_email TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS kb_service_versions_by_service ON kb_service_versions(registry_number, body_bin, sequence);"
    "CREATE TABLE IF NOT EXISTS kb_applications ("
    " provider_bin TEXT NOT NULL, application_id TEXT NOT NULL, provider_name TEXT NOT NULL,"
    " recipient_digest TEXT NOT NULL, service_code TEXT NOT NULL, service_name TEXT NOT NULL,"
    " reception_date TEXT NOT NULL, stage INTEGER NOT NULL, stage_name TEXT NOT NULL, stage_at TEXT NOT NULL,"
    " planned_date TEXT NOT NULL, planned_source TEXT NOT NULL, execution_date TEXT NOT NULL, outcome TEXT NOT NULL,"
    " sequence BIGINT NOT NULL, PRIMARY KEY(provider_bin, application_id));"
    "CREATE INDEX IF NOT EXISTS kb_applications_by_id ON kb_applications(application_id);"
    "CREATE TABLE IF NOT EXISTS kb_onboarding_events ("
    " id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, body_bin TEXT NOT NULL, service_code TEXT NOT NULL,"
    " date TEXT NOT NULL, note TEXT NOT NULL, recorded_at TEXT NOT NULL);";

constexpr const char* kVersionColumns =
    "sequence, registry_number, body_bin, body_name, received_at, received_date, name_kk, name_ru, standard, regulation,"
    " legal_changes, url, responsible_name, responsible_position, responsible_phone, responsible_email,"
    " (SELECT COUNT(*) FROM kb_service_versions older WHERE older.registry_number = v.registry_number"
    "  AND older.body_bin = v.body_bin AND older.sequence <= v.sequence)";

constexpr const char* kUpsertApplication =
    "INSERT INTO kb_applications AS a(provider_bin, application_id, provider_name, recipient_digest, service_code,"
    " service_name, reception_date, stage, stage_name, stage_at, planned_date, planned_source, execution_date,"
    " outcome, sequence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    " ON CONFLICT(provider_bin, application_id) DO UPDATE SET"
    " recipient_digest = CASE WHEN excluded.recipient_digest != '' THEN excluded.recipient_digest ELSE a.recipient_digest END,"
    " stage_name = CASE WHEN excluded.stage > a.stage THEN excluded.stage_name ELSE a.stage_name END,"
    " stage_at = CASE WHEN excluded.stage > a.stage THEN excluded.stage_at ELSE a.stage_at END,"
    " sequence = CASE WHEN excluded.stage > a.stage THEN excluded.sequence ELSE a.sequence END,"
    " planned_date = CASE WHEN excluded.planned_source = 'provider' OR a.planned_date = '' THEN excluded.planned_date"
    "   ELSE a.planned_date END,"
    " planned_source = CASE WHEN excluded.planned_source = 'provider' OR a.planned_date = '' THEN excluded.planned_source"
    "   ELSE a.planned_source END,"
    " execution_date = CASE WHEN excluded.execution_date != '' THEN excluded.execution_date ELSE a.execution_date END,"
    " outcome = CASE WHEN excluded.outcome != '' THEN excluded.outcome ELSE a.outcome END,"
    " stage = GREATEST(a.stage, excluded.stage)";

class PostgresKnowledgeStore final : public KnowledgeStore {
 public:
  explicit PostgresKnowledgeStore(const std::string& conninfo) : connection_(PQconnectdb(conninfo.c_str())) {
    if (!connection_ || PQstatus(connection_.get()) != CONNECTION_OK)
      throw std::runtime_error("knowledge base store: cannot connect to PostgreSQL: " +
                               std::string(connection_ ? PQerrorMessage(connection_.get()) : "out of memory"));
    PQsetNoticeProcessor(connection_.get(), [](void*, const char*) {}, nullptr);
    std::string error;
    if (!command("SELECT pg_advisory_lock(7362)", {}, error) || !command(kTables, {}, error) ||
        !command("SELECT pg_advisory_unlock(7362)", {}, error))
      throw std::runtime_error("knowledge base store: cannot create the schema: " + error);
  }

  Result<Stored> add_service_version(const ServiceInfo& info, const std::string& received_at,
                                     std::uint64_t sequence) override {
    return in_transaction(sequence, [&](std::string& error) {
      return command("INSERT INTO kb_service_versions(sequence, registry_number, body_bin, body_name, received_at,"
                     " received_date, name_kk, name_ru, standard, regulation, legal_changes, url, responsible_name,"
                     " responsible_position, responsible_phone, responsible_email)"
                     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                     {std::to_string(sequence), info.registry_number, info.body_bin, info.body_name, received_at,
                      kazakhstan_date(received_at), info.name_kk, info.name_ru, info.standard, info.regulation,
                      info.legal_changes, info.url, info.responsible_name, info.responsible_position,
                      info.responsible_phone, info.responsible_email},
                     error);
    });
  }

  Result<Stored> apply_stage(const ApplicationStage& stage, std::uint64_t sequence) override {
    return in_transaction(sequence, [&](std::string& error) {
      return command(kUpsertApplication,
                     {stage.provider_bin, stage.application_id, stage.provider_name, stage.recipient_digest,
                      stage.service_code, stage.service_name, stage.reception_date, std::to_string(stage.stage),
                      stage.stage_name, stage.stage_at, stage.planned_date, stage.planned_source, stage.execution_date,
                      stage.outcome, std::to_string(sequence)},
                     error);
    });
  }

  Result<Stored> skip(std::uint64_t sequence) override {
    return in_transaction(sequence, [](std::string&) { return true; });
  }

  std::uint64_t last_sequence() const override {
    std::lock_guard lock(mutex_);
    const auto rows = query("SELECT sequence FROM kb_position WHERE id = 1", {});
    return ok(rows) && PQntuples(rows.get()) == 1 ? std::stoull(PQgetvalue(rows.get(), 0, 0)) : 0;
  }

  std::vector<ServiceVersion> service_history(const std::string& registry_number) const override {
    return versions(std::string("SELECT ") + kVersionColumns +
                        " FROM kb_service_versions v WHERE registry_number = $1 ORDER BY body_bin, sequence",
                    {registry_number});
  }

  std::vector<ServiceVersion> service_at(const std::string& registry_number, const std::string& date) const override {
    return versions(std::string("SELECT ") + kVersionColumns +
                        " FROM kb_service_versions v WHERE registry_number = $1 AND received_date <= $2 AND sequence ="
                        " (SELECT MAX(sequence) FROM kb_service_versions latest WHERE latest.registry_number ="
                        " v.registry_number AND latest.body_bin = v.body_bin AND latest.received_date <= $2)"
                        " ORDER BY body_bin",
                    {registry_number, date});
  }

  std::optional<std::string> first_version_since(const std::string& registry_number, const std::string& body_bin,
                                                 const std::string& date) const override {
    std::lock_guard lock(mutex_);
    const auto rows = query("SELECT MIN(received_date) FROM kb_service_versions"
                            " WHERE registry_number = $1 AND body_bin = $2 AND received_date >= $3",
                            {registry_number, body_bin, date});
    if (!ok(rows) || PQntuples(rows.get()) != 1 || PQgetisnull(rows.get(), 0, 0)) return std::nullopt;
    return std::string(PQgetvalue(rows.get(), 0, 0));
  }

  std::string body_name(const std::string& body_bin) const override {
    std::lock_guard lock(mutex_);
    const auto rows =
        query("SELECT body_name FROM kb_service_versions WHERE body_bin = $1 ORDER BY sequence DESC LIMIT 1", {body_bin});
    return ok(rows) && PQntuples(rows.get()) == 1 ? PQgetvalue(rows.get(), 0, 0) : std::string();
  }

  std::vector<ApplicationStage> applications(const std::string& application_id) const override {
    std::lock_guard lock(mutex_);
    const auto rows = query(
        "SELECT application_id, provider_bin, provider_name, recipient_digest, service_code, service_name,"
        " reception_date, stage, stage_name, stage_at, planned_date, planned_source, execution_date, outcome"
        " FROM kb_applications WHERE application_id = $1 ORDER BY provider_bin",
        {application_id});
    if (!ok(rows)) throw std::runtime_error("knowledge base store: " + std::string(PQerrorMessage(connection_.get())));
    std::vector<ApplicationStage> found;
    for (int row = 0; row < PQntuples(rows.get()); ++row) {
      const auto text = [&](int column) { return std::string(PQgetvalue(rows.get(), row, column)); };
      found.push_back(ApplicationStage{text(0), text(1), text(2), text(3), text(4), text(5), text(6), std::stoi(text(7)),
                                       text(8), text(9), text(10), text(11), text(12), text(13)});
    }
    return found;
  }

  Result<std::int64_t> record_event(const OnboardingEvent& event) override {
    if (!is_event_kind(event.kind)) return refuse(Code::DataInvalid, "unknown onboarding event kind " + event.kind);
    std::lock_guard lock(mutex_);
    const auto rows = query("INSERT INTO kb_onboarding_events(kind, body_bin, service_code, date, note, recorded_at)"
                            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                            {event.kind, event.body_bin, event.service_code, event.date, event.note, event.recorded_at});
    if (!ok(rows) || PQntuples(rows.get()) != 1) return failed("onboarding event");
    return static_cast<std::int64_t>(std::stoll(PQgetvalue(rows.get(), 0, 0)));
  }

  std::vector<OnboardingEvent> events() const override {
    std::lock_guard lock(mutex_);
    const auto rows = query("SELECT id, kind, body_bin, service_code, date, note, recorded_at FROM kb_onboarding_events"
                            " ORDER BY date, id",
                            {});
    if (!ok(rows)) throw std::runtime_error("knowledge base store: " + std::string(PQerrorMessage(connection_.get())));
    std::vector<OnboardingEvent> found;
    for (int row = 0; row < PQntuples(rows.get()); ++row) {
      const auto text = [&](int column) { return std::string(PQgetvalue(rows.get(), row, column)); };
      found.push_back(OnboardingEvent{std::stoll(text(0)), text(1), text(2), text(3), text(4), text(5), text(6)});
    }
    return found;
  }

 private:
  static bool ok(const Rows& rows) {
    return rows && (PQresultStatus(rows.get()) == PGRES_TUPLES_OK || PQresultStatus(rows.get()) == PGRES_COMMAND_OK);
  }

  // Parameters travel as text and take the types of the columns they meet.
  Rows query(const char* sql, const std::vector<std::string>& parameters) const {
    std::vector<const char*> values;
    for (const auto& parameter : parameters) values.push_back(parameter.c_str());
    return Rows(PQexecParams(connection_.get(), sql, static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                             nullptr, 0));
  }

  bool command(const char* sql, const std::vector<std::string>& parameters, std::string& error) const {
    // Without parameters PQexec, so that kTables may hold several statements.
    const auto rows = parameters.empty() ? Rows(PQexec(connection_.get(), sql)) : query(sql, parameters);
    if (ok(rows)) return true;
    error = PQerrorMessage(connection_.get());
    return false;
  }

  Refusal failed(const char* what) const {
    return refuse(Code::Internal, std::string("knowledge base store: ") + what + ": " + PQerrorMessage(connection_.get()));
  }

  template <class Work>
  Result<Stored> in_transaction(std::uint64_t sequence, Work work) {
    std::lock_guard lock(mutex_);
    std::string error;
    if (!command("BEGIN", {}, error)) return refuse(Code::Internal, "knowledge base store: " + error);
    const auto rollback = [&](Refusal refusal) -> Result<Stored> {
      std::string ignored;
      command("ROLLBACK", {}, ignored);
      return refusal;
    };
    const auto position = query("SELECT sequence FROM kb_position WHERE id = 1 FOR UPDATE", {});
    if (!ok(position) || PQntuples(position.get()) != 1) return rollback(failed("position"));
    if (std::stoull(PQgetvalue(position.get(), 0, 0)) >= sequence) {
      std::string ignored;
      command("ROLLBACK", {}, ignored);
      return Stored::Duplicate;  // delivered again after a restart
    }
    if (!command("UPDATE kb_position SET sequence = $1 WHERE id = 1", {std::to_string(sequence)}, error))
      return rollback(failed("position"));
    if (!work(error)) return rollback(refuse(Code::Internal, "knowledge base store: " + error));
    if (!command("COMMIT", {}, error)) return rollback(refuse(Code::Internal, "knowledge base store: " + error));
    return Stored::Recorded;
  }

  std::vector<ServiceVersion> versions(const std::string& sql, const std::vector<std::string>& parameters) const {
    std::lock_guard lock(mutex_);
    const auto rows = query(sql.c_str(), parameters);
    if (!ok(rows)) throw std::runtime_error("knowledge base store: " + std::string(PQerrorMessage(connection_.get())));
    std::vector<ServiceVersion> found;
    for (int row = 0; row < PQntuples(rows.get()); ++row) {
      const auto text = [&](int column) { return std::string(PQgetvalue(rows.get(), row, column)); };
      ServiceVersion version;
      version.sequence = std::stoull(text(0));
      version.info = ServiceInfo{text(1), text(6), text(7), text(8), text(9), text(10), text(11), text(12), text(13),
                                 text(14), text(15), text(2), text(3)};
      version.received_at = text(4);
      version.received_date = text(5);
      version.version = std::stoi(text(16));
      found.push_back(std::move(version));
    }
    return found;
  }

  Connection connection_;
  mutable std::mutex mutex_;
};

}  // namespace

std::unique_ptr<KnowledgeStore> open_postgres_knowledge_store(const std::string& conninfo) {
  return std::make_unique<PostgresKnowledgeStore>(conninfo);
}

}  // namespace stagegate::knowledge_base
