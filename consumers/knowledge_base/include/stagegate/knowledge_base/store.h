#pragma once
// What the knowledge base keeps (SQLite): every version of every service information form,
// each application's current stage keyed by its id with the recipient as a keyed hash, and
// the onboarding events operators record (order 130: request, protocol, change, refusal...).
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "stagegate/bus/sqlite.h"
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

class KnowledgeStore {
 public:
  // Throws std::runtime_error when the file cannot be opened.
  explicit KnowledgeStore(const std::filesystem::path& file);

  // Each records and moves the consumer position to `sequence` in one transaction;
  // Duplicate when `sequence` is not after the position.
  Result<Stored> add_service_version(const ServiceInfo& info, const std::string& received_at, std::uint64_t sequence);
  Result<Stored> apply_stage(const ApplicationStage& stage, std::uint64_t sequence);
  // For a message the knowledge base has nothing to keep of (acknowledged all the same).
  Result<Stored> skip(std::uint64_t sequence);
  std::uint64_t last_sequence() const;

  // Every version of a service, by body then arrival.
  std::vector<ServiceVersion> service_history(const std::string& registry_number) const;
  // Per body, the version in force at the end of `date` (YYYY-MM-DD): the last received by then.
  std::vector<ServiceVersion> service_at(const std::string& registry_number, const std::string& date) const;
  // The local date of the first version of (service, body) received on or after `date`.
  std::optional<std::string> first_version_since(const std::string& registry_number, const std::string& body_bin,
                                                 const std::string& date) const;
  std::string body_name(const std::string& body_bin) const;

  std::vector<ApplicationStage> applications(const std::string& application_id) const;

  Result<std::int64_t> record_event(const OnboardingEvent& event);
  // By date then id.
  std::vector<OnboardingEvent> events() const;

 private:
  Result<Stored> in_transaction(std::uint64_t sequence, const std::function<Status()>& work);
  Refusal failed(const char* what) const;

  bus::sqlite::Database db_;
  mutable std::mutex mutex_;
};

}  // namespace stagegate::knowledge_base
