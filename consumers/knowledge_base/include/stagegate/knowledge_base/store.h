#pragma once
// What the knowledge base keeps: every version of every service information form,
// each application's current stage keyed by its id with the recipient as a keyed hash, and
// the onboarding events operators record (order 130: request, protocol, change, refusal...).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stagegate/core/result.h"
#include "stagegate/knowledge_base/service_info.h"

namespace stagegate::knowledge_base {

struct ServiceVersion {
  std::uint64_t sequence = 0;  // the journal sequence it came with
  int version = 0;             // 1, 2, ... per service and body, in arrival order
  std::string received_at;     // UTC, when the knowledge base stored it
  std::string received_date;   // YYYY-MM-DD in Kazakhstan (UTC+5): what --at and deadlines use
  ServiceInfo info;
};

// One application's current stage as the contact center tells it.
struct ApplicationStage {
  std::string application_id;
  std::string provider_bin;
  std::string provider_name;
  std::string recipient_digest;  // RecipientKey::digest of the ИИН or БИН
  std::string service_code;
  std::string service_name;
  std::string reception_date;
  int stage = 0;
  std::string stage_name;
  std::string stage_at;
  std::string planned_date;    // YYYY-MM-DD, empty when unknown
  std::string planned_source;  // provider / computed / unknown
  std::string execution_date;  // dateTime, from stage 4
  std::string outcome;         // ISSUED / REFUSED at stage 6
};

// Onboarding events (docs/knowledge_base.md): the kinds operators record.
inline constexpr const char* kEventKinds[] = {"request",    "appointed", "training", "protocol",
                                              "consulting", "change",    "refusal",  "reported"};
bool is_event_kind(const std::string& kind);

struct OnboardingEvent {
  std::int64_t id = 0;
  std::string kind;          // one of kEventKinds
  std::string body_bin;
  std::string service_code;  // empty for refusal / reported (they concern the body)
  std::string date;          // YYYY-MM-DD
  std::string note;
  std::string recorded_at;   // UTC
};

enum class Stored { Recorded, Duplicate };

// The local date in Kazakhstan (UTC+5, one zone since 2024-03-01) of a UTC xsd:dateTime
// ("2026-11-20T20:30:00Z" -> "2026-11-21"); the text's first 10 characters when it is not one.
std::string kazakhstan_date(const std::string& utc_date_time);

// One interface; SQLite (the default) or PostgreSQL behind it, like the monitoring store.
class KnowledgeStore {
 public:
  virtual ~KnowledgeStore() = default;

  // Each records and moves the consumer position to `sequence` in one transaction;
  // Duplicate when `sequence` is not after the position.
  virtual Result<Stored> add_service_version(const ServiceInfo& info, const std::string& received_at,
                                             std::uint64_t sequence) = 0;
  virtual Result<Stored> apply_stage(const ApplicationStage& stage, std::uint64_t sequence) = 0;
  // For a message the knowledge base has nothing to keep of (acknowledged all the same).
  virtual Result<Stored> skip(std::uint64_t sequence) = 0;
  virtual std::uint64_t last_sequence() const = 0;

  // Every version of a service, by body then arrival.
  virtual std::vector<ServiceVersion> service_history(const std::string& registry_number) const = 0;
  // Per body, the version in force at the end of `date` (YYYY-MM-DD): the last received by then.
  virtual std::vector<ServiceVersion> service_at(const std::string& registry_number, const std::string& date) const = 0;
  // The local date of the first version of (service, body) received on or after `date`.
  virtual std::optional<std::string> first_version_since(const std::string& registry_number, const std::string& body_bin,
                                                         const std::string& date) const = 0;
  virtual std::string body_name(const std::string& body_bin) const = 0;

  virtual std::vector<ApplicationStage> applications(const std::string& application_id) const = 0;

  virtual Result<std::int64_t> record_event(const OnboardingEvent& event) = 0;
  // By date then id.
  virtual std::vector<OnboardingEvent> events() const = 0;
};

// Throws std::runtime_error when the file cannot be opened.
std::unique_ptr<KnowledgeStore> open_sqlite_knowledge_store(const std::filesystem::path& file);
// A libpq connection string; the tables are created in the connection's search_path. Throws
// std::runtime_error when the server cannot be reached or the schema cannot be created.
std::unique_ptr<KnowledgeStore> open_postgres_knowledge_store(const std::string& conninfo);
// PostgreSQL when `location` is a connection string (monitoring::names_postgres), else a SQLite file.
std::unique_ptr<KnowledgeStore> open_knowledge_store(const std::string& location);

}  // namespace stagegate::knowledge_base
