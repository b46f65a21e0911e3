#include <functional>
#include <mutex>

#include "stagegate/bus/sqlite.h"
#include "stagegate/knowledge_base/store.h"


namespace stagegate::knowledge_base {
namespace {

namespace sqlite = bus::sqlite;

constexpr const char* kTables =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS position (id INTEGER PRIMARY KEY CHECK (id = 1), sequence INTEGER NOT NULL);"
    "INSERT INTO position(id, sequence) VALUES (1, 0) ON CONFLICT DO NOTHING;"
    // Every form ever received: a newer version is a new row, never an update.
    "CREATE TABLE IF NOT EXISTS service_versions ("
    " sequence INTEGER PRIMARY KEY, registry_number TEXT NOT NULL, body_bin TEXT NOT NULL, body_name TEXT NOT NULL,"
    " received_at TEXT NOT NULL, received_date TEXT NOT NULL, name_kk TEXT NOT NULL, name_ru TEXT NOT NULL,"
    " standard TEXT NOT NULL, regulation TEXT NOT NULL, legal_changes TEXT NOT NULL, url TEXT NOT NULL,"
    " responsible_name TEXT NOT NULL, responsible_position TEXT NOT NULL, responsible_phone TEXT NOT NULL,"
    " responsible_email TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS service_versions_by_service ON service_versions(registry_number, body_bin, sequence);"
    // The current stage only; the recipient as HMAC-SHA256(secret, ИИН or БИН), never in clear.
    "CREATE TABLE IF NOT EXISTS applications ("
    " provider_bin TEXT NOT NULL, application_id TEXT NOT NULL, provider_name TEXT NOT NULL,"
    " recipient_digest TEXT NOT NULL, service_code TEXT NOT NULL, service_name TEXT NOT NULL,"
    " reception_date TEXT NOT NULL, stage INTEGER NOT NULL, stage_name TEXT NOT NULL, stage_at TEXT NOT NULL,"
    " planned_date TEXT NOT NULL, planned_source TEXT NOT NULL, execution_date TEXT NOT NULL, outcome TEXT NOT NULL,"
    " sequence INTEGER NOT NULL, PRIMARY KEY(provider_bin, application_id));"
    "CREATE INDEX IF NOT EXISTS applications_by_id ON applications(application_id);"
    "CREATE TABLE IF NOT EXISTS onboarding_events ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, body_bin TEXT NOT NULL, service_code TEXT NOT NULL,"
    " date TEXT NOT NULL, note TEXT NOT NULL, recorded_at TEXT NOT NULL);";

constexpr const char* kVersionColumns =
    "sequence, registry_number, body_bin, body_name, received_at, received_date, name_kk, name_ru, standard, regulation,"
    " legal_changes, url, responsible_name, responsible_position, responsible_phone, responsible_email,"
    " (SELECT COUNT(*) FROM service_versions older WHERE older.registry_number = v.registry_number"
    "  AND older.body_bin = v.body_bin AND older.sequence <= v.sequence)";

ServiceVersion version_from_row(const sqlite::Statement& row) {
  ServiceVersion version;
  version.sequence = static_cast<std::uint64_t>(row.column_int(0));
  auto& info = version.info;
  info.registry_number = row.column_text(1);
  info.body_bin = row.column_text(2);
  info.body_name = row.column_text(3);
  version.received_at = row.column_text(4);
  version.received_date = row.column_text(5);
  info.name_kk = row.column_text(6);
  info.name_ru = row.column_text(7);
  info.standard = row.column_text(8);
  info.regulation = row.column_text(9);
  info.legal_changes = row.column_text(10);
  info.url = row.column_text(11);
  info.responsible_name = row.column_text(12);
  info.responsible_position = row.column_text(13);
  info.responsible_phone = row.column_text(14);
  info.responsible_email = row.column_text(15);
  version.version = static_cast<int>(row.column_int(16));
  return version;
}

sqlite::Database open_database(const std::filesystem::path& file) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  auto db = sqlite::open(file.string());
  sqlite::exec_setup_or_throw(db.get(), kTables);
  return db;
}

class SqliteKnowledgeStore final : public KnowledgeStore {
 public:
  explicit SqliteKnowledgeStore(const std::filesystem::path& file);
  Result<Stored> add_service_version(const ServiceInfo& info, const std::string& received_at, std::uint64_t sequence) override;
  Result<Stored> apply_stage(const ApplicationStage& stage, std::uint64_t sequence) override;
  Result<Stored> skip(std::uint64_t sequence) override;
  std::uint64_t last_sequence() const override;
  std::vector<ServiceVersion> service_history(const std::string& registry_number) const override;
  std::vector<ServiceVersion> service_at(const std::string& registry_number, const std::string& date) const override;
  std::optional<std::string> first_version_since(const std::string& registry_number, const std::string& body_bin,
                                                 const std::string& date) const override;
  std::string body_name(const std::string& body_bin) const override;
  std::vector<ApplicationStage> applications(const std::string& application_id) const override;
  Result<std::int64_t> record_event(const OnboardingEvent& event) override;
  std::vector<OnboardingEvent> events() const override;

 private:
  Result<Stored> in_transaction(std::uint64_t sequence, const std::function<Status()>& work);
  Refusal failed(const char* what) const;

  sqlite::Database db_;
  mutable std::mutex mutex_;
};

}  // namespace

SqliteKnowledgeStore::SqliteKnowledgeStore(const std::filesystem::path& file) : db_(open_database(file)) {}

Refusal SqliteKnowledgeStore::failed(const char* what) const {
  return refuse(Code::Internal, std::string("knowledge base store: ") + what + ": " + sqlite3_errmsg(db_.get()));
}

Result<Stored> SqliteKnowledgeStore::in_transaction(std::uint64_t sequence, const std::function<Status()>& work) {
  std::lock_guard lock(mutex_);
  std::string error;
  if (!sqlite::exec(db_.get(), "BEGIN IMMEDIATE", error)) return refuse(Code::Internal, "knowledge base store: " + error);
  auto rollback = [&](Refusal refusal) -> Result<Stored> {
    std::string ignored;
    sqlite::exec(db_.get(), "ROLLBACK", ignored);
    return refusal;
  };
  sqlite::Statement position(db_.get(), "SELECT sequence FROM position WHERE id = 1");
  if (static_cast<std::uint64_t>(position.scalar()) >= sequence) {
    sqlite::exec(db_.get(), "ROLLBACK", error);
    return Stored::Duplicate;  // delivered again after a restart
  }
  sqlite::Statement advance(db_.get(), "UPDATE position SET sequence = ?1 WHERE id = 1");
  advance.bind(1, static_cast<std::int64_t>(sequence));
  if (advance.step() != SQLITE_DONE) return rollback(failed("position"));
  if (const auto done = work(); !done) return rollback(done.refusal());
  if (!sqlite::exec(db_.get(), "COMMIT", error)) return rollback(refuse(Code::Internal, "knowledge base store: " + error));
  return Stored::Recorded;
}

Result<Stored> SqliteKnowledgeStore::add_service_version(const ServiceInfo& info, const std::string& received_at,
                                                   std::uint64_t sequence) {
  return in_transaction(sequence, [&]() -> Status {
    sqlite::Statement insert(db_.get(),
                             "INSERT INTO service_versions(sequence, registry_number, body_bin, body_name, received_at,"
                             " received_date, name_kk, name_ru, standard, regulation, legal_changes, url, responsible_name,"
                             " responsible_position, responsible_phone, responsible_email)"
                             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)");
    const std::string received_date = kazakhstan_date(received_at);
    int i = 0;
    insert.bind(++i, static_cast<std::int64_t>(sequence));
    for (const std::string* text :
         {&info.registry_number, &info.body_bin, &info.body_name, &received_at, &received_date, &info.name_kk,
          &info.name_ru, &info.standard, &info.regulation, &info.legal_changes, &info.url, &info.responsible_name,
          &info.responsible_position, &info.responsible_phone, &info.responsible_email})
      insert.bind(++i, *text);
    if (insert.step() != SQLITE_DONE) return failed("service version");
    return proceed();
  });
}

Result<Stored> SqliteKnowledgeStore::apply_stage(const ApplicationStage& stage, std::uint64_t sequence) {
  return in_transaction(sequence, [&]() -> Status {
    // Stages move forward: a late or repeated earlier stage does not move the current one back;
    // facts sent once (planned date, execution, outcome) are kept when a later message omits them.
    sqlite::Statement upsert(
        db_.get(),
        "INSERT INTO applications(provider_bin, application_id, provider_name, recipient_digest, service_code,"
        " service_name, reception_date, stage, stage_name, stage_at, planned_date, planned_source, execution_date,"
        " outcome, sequence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
        " ON CONFLICT(provider_bin, application_id) DO UPDATE SET"
        " recipient_digest = CASE WHEN excluded.recipient_digest != '' THEN excluded.recipient_digest ELSE recipient_digest END,"
        " stage_name = CASE WHEN excluded.stage > stage THEN excluded.stage_name ELSE stage_name END,"
        " stage_at = CASE WHEN excluded.stage > stage THEN excluded.stage_at ELSE stage_at END,"
        " sequence = CASE WHEN excluded.stage > stage THEN excluded.sequence ELSE sequence END,"
        " planned_date = CASE WHEN excluded.planned_source = 'provider' OR planned_date = '' THEN excluded.planned_date"
        "   ELSE planned_date END,"
        " planned_source = CASE WHEN excluded.planned_source = 'provider' OR planned_date = '' THEN excluded.planned_source"
        "   ELSE planned_source END,"
        " execution_date = CASE WHEN excluded.execution_date != '' THEN excluded.execution_date ELSE execution_date END,"
        " outcome = CASE WHEN excluded.outcome != '' THEN excluded.outcome ELSE outcome END,"
        " stage = MAX(stage, excluded.stage)");
    int i = 0;
    for (const std::string* text : {&stage.provider_bin, &stage.application_id, &stage.provider_name, &stage.recipient_digest,
                                    &stage.service_code, &stage.service_name, &stage.reception_date})
      upsert.bind(++i, *text);
    upsert.bind(++i, static_cast<std::int64_t>(stage.stage));
    for (const std::string* text : {&stage.stage_name, &stage.stage_at, &stage.planned_date, &stage.planned_source,
                                    &stage.execution_date, &stage.outcome})
      upsert.bind(++i, *text);
    upsert.bind(++i, static_cast<std::int64_t>(sequence));
    if (upsert.step() != SQLITE_DONE) return failed("application");
    return proceed();
  });
}

Result<Stored> SqliteKnowledgeStore::skip(std::uint64_t sequence) {
  return in_transaction(sequence, [] { return proceed(); });
}

std::uint64_t SqliteKnowledgeStore::last_sequence() const {
  std::lock_guard lock(mutex_);
  sqlite::Statement position(db_.get(), "SELECT sequence FROM position WHERE id = 1");
  return static_cast<std::uint64_t>(position.scalar());
}

std::vector<ServiceVersion> SqliteKnowledgeStore::service_history(const std::string& registry_number) const {
  std::lock_guard lock(mutex_);
  sqlite::Statement rows(db_.get(), (std::string("SELECT ") + kVersionColumns +
                                     " FROM service_versions v WHERE registry_number = ?1 ORDER BY body_bin, sequence")
                                        .c_str());
  rows.bind(1, registry_number);
  std::vector<ServiceVersion> found;
  while (rows.step() == SQLITE_ROW) found.push_back(version_from_row(rows));
  return found;
}

std::vector<ServiceVersion> SqliteKnowledgeStore::service_at(const std::string& registry_number, const std::string& date) const {
  std::lock_guard lock(mutex_);
  sqlite::Statement rows(
      db_.get(), (std::string("SELECT ") + kVersionColumns +
                  " FROM service_versions v WHERE registry_number = ?1 AND received_date <= ?2 AND sequence ="
                  " (SELECT MAX(sequence) FROM service_versions latest WHERE latest.registry_number = v.registry_number"
                  "  AND latest.body_bin = v.body_bin AND latest.received_date <= ?2) ORDER BY body_bin")
                     .c_str());
  rows.bind(1, registry_number);
  rows.bind(2, date);
  std::vector<ServiceVersion> found;
  while (rows.step() == SQLITE_ROW) found.push_back(version_from_row(rows));
  return found;
}

std::optional<std::string> SqliteKnowledgeStore::first_version_since(const std::string& registry_number,
                                                               const std::string& body_bin, const std::string& date) const {
  std::lock_guard lock(mutex_);
  sqlite::Statement first(db_.get(),
                          "SELECT MIN(received_date) FROM service_versions"
                          " WHERE registry_number = ?1 AND body_bin = ?2 AND received_date >= ?3");
  first.bind(1, registry_number);
  first.bind(2, body_bin);
  first.bind(3, date);
  if (first.step() != SQLITE_ROW) return std::nullopt;
  auto found = first.column_text(0);
  if (found.empty()) return std::nullopt;
  return found;
}

std::string SqliteKnowledgeStore::body_name(const std::string& body_bin) const {
  std::lock_guard lock(mutex_);
  sqlite::Statement name(db_.get(), "SELECT body_name FROM service_versions WHERE body_bin = ?1 ORDER BY sequence DESC LIMIT 1");
  name.bind(1, body_bin);
  return name.step() == SQLITE_ROW ? name.column_text(0) : std::string();
}

std::vector<ApplicationStage> SqliteKnowledgeStore::applications(const std::string& application_id) const {
  std::lock_guard lock(mutex_);
  sqlite::Statement rows(db_.get(),
                         "SELECT application_id, provider_bin, provider_name, recipient_digest, service_code, service_name,"
                         " reception_date, stage, stage_name, stage_at, planned_date, planned_source, execution_date, outcome"
                         " FROM applications WHERE application_id = ?1 ORDER BY provider_bin");
  rows.bind(1, application_id);
  std::vector<ApplicationStage> found;
  while (rows.step() == SQLITE_ROW) {
    ApplicationStage stage;
    stage.application_id = rows.column_text(0);
    stage.provider_bin = rows.column_text(1);
    stage.provider_name = rows.column_text(2);
    stage.recipient_digest = rows.column_text(3);
    stage.service_code = rows.column_text(4);
    stage.service_name = rows.column_text(5);
    stage.reception_date = rows.column_text(6);
    stage.stage = static_cast<int>(rows.column_int(7));
    stage.stage_name = rows.column_text(8);
    stage.stage_at = rows.column_text(9);
    stage.planned_date = rows.column_text(10);
    stage.planned_source = rows.column_text(11);
    stage.execution_date = rows.column_text(12);
    stage.outcome = rows.column_text(13);
    found.push_back(std::move(stage));
  }
  return found;
}

Result<std::int64_t> SqliteKnowledgeStore::record_event(const OnboardingEvent& event) {
  if (!is_event_kind(event.kind)) return refuse(Code::DataInvalid, "unknown onboarding event kind " + event.kind);
  std::lock_guard lock(mutex_);
  sqlite::Statement insert(db_.get(),
                           "INSERT INTO onboarding_events(kind, body_bin, service_code, date, note, recorded_at)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  insert.bind(1, event.kind);
  insert.bind(2, event.body_bin);
  insert.bind(3, event.service_code);
  insert.bind(4, event.date);
  insert.bind(5, event.note);
  insert.bind(6, event.recorded_at);
  if (insert.step() != SQLITE_DONE) return failed("onboarding event");
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_.get()));
}

std::vector<OnboardingEvent> SqliteKnowledgeStore::events() const {
  std::lock_guard lock(mutex_);
  sqlite::Statement rows(db_.get(),
                         "SELECT id, kind, body_bin, service_code, date, note, recorded_at FROM onboarding_events"
                         " ORDER BY date, id");
  std::vector<OnboardingEvent> found;
  while (rows.step() == SQLITE_ROW)
    found.push_back(OnboardingEvent{rows.column_int(0), rows.column_text(1), rows.column_text(2), rows.column_text(3),
                                    rows.column_text(4), rows.column_text(5), rows.column_text(6)});
  return found;
}

std::unique_ptr<KnowledgeStore> open_sqlite_knowledge_store(const std::filesystem::path& file) {
  return std::make_unique<SqliteKnowledgeStore>(file);
}

}  // namespace stagegate::knowledge_base
