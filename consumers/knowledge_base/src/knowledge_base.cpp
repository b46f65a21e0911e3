#include "stagegate/knowledge_base/knowledge_base.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "stagegate/core/clock.h"
#include "stagegate/core/log_field.h"
#include "stagegate/monitoring/store.h"

namespace stagegate::knowledge_base {
namespace {

// The recipient's ИИН (a person) or БИН (an organization); empty when this destination may not see it.
std::string recipient_id(const std::string& payload) {
  const auto json = nlohmann::json::parse(payload, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("recipient") || !json["recipient"].is_object()) return {};
  const auto& recipient = json["recipient"];
  if (recipient.contains("iin") && recipient["iin"].is_string()) return recipient["iin"].get<std::string>();
  if (recipient.contains("bin") && recipient["bin"].is_string()) return recipient["bin"].get<std::string>();
  return {};
}

std::string schema_of(const std::string& payload) {
  const auto json = nlohmann::json::parse(payload, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("schema") || !json["schema"].is_string()) return {};
  return json["schema"].get<std::string>();
}

}  // namespace

KnowledgeBase::KnowledgeBase(KnowledgeStore& store, const RecipientKey& key, const monitoring::WorkingCalendar& calendar,
                             const monitoring::ServiceCatalogue& services, Clock clock)
    : store_(store), key_(key), calendar_(calendar), services_(services), clock_(std::move(clock)) {
  if (!clock_) clock_ = [] { return now_utc(); };
}

Result<Stored> KnowledgeBase::handle(const std::string& payload, std::uint64_t sequence) {
  const auto schema = schema_of(payload);
  if (schema == "stagegate.kb/1") {
    const auto info = parse_service_info(payload);
    if (!info) return info.refusal();
    return store_.add_service_version(info.value(), clock_(), sequence);
  }
  if (schema == "stagegate.stage/1") return handle_stage(payload, sequence);
  if (schema.empty()) return refuse(Code::Malformed, "not a JSON message with a schema");
  return refuse(Code::Malformed, "schema " + schema + " is not one the knowledge base reads");
}

Result<Stored> KnowledgeBase::handle_stage(const std::string& payload, std::uint64_t sequence) {
  const auto record = monitoring::parse_stage_message(payload);
  if (!record) return record.refusal();
  const auto& stage = record.value();
  if (stage.stage < 1 || stage.stage > 6) return refuse(Code::Malformed, "stage code outside 1-6");
  ApplicationStage application;
  application.application_id = stage.application_id;
  application.provider_bin = stage.provider_bin;
  application.provider_name = stage.provider_name;
  const auto recipient = recipient_id(payload);
  if (!recipient.empty()) application.recipient_digest = key_.digest(recipient);
  application.service_code = stage.service_code;
  application.service_name = stage.service_name;
  application.reception_date = stage.reception_date;
  application.stage = stage.stage;
  application.stage_name = stage.stage_name;
  application.stage_at = stage.stage_at;
  application.execution_date = stage.execution_date;
  application.outcome = stage.outcome;
  application.planned_source = "unknown";
  if (!stage.provider_planned.empty()) {
    application.planned_date = stage.provider_planned;
    application.planned_source = "provider";
  } else if (const auto* term = services_.find(stage.service_code)) {
    try {
      if (const auto planned = monitoring::compute_planned_date(stage.reception_date, *term, calendar_)) {
        application.planned_date = monitoring::format_date(*planned);
        application.planned_source = "computed";
      }
    } catch (const std::exception&) {
      // A reception date that does not parse leaves the planned date unknown.
    }
  }
  return store_.apply_stage(application, sequence);
}

Consumed consume_one(bus::Subscriber& subscriber, KnowledgeBase& knowledge_base, std::chrono::milliseconds timeout) {
  const auto message = subscriber.receive(timeout);
  if (!message) return Consumed::Nothing;
  const auto handled = knowledge_base.handle(message->payload, message->sequence);
  if (!handled) {
    std::clog << now_utc() << " knowledge_base refused seq=" << message->sequence
              << " code=" << contract_code(handled.refusal().code) << " reason=" << log_field(handled.refusal().reason)
              << std::endl;
    subscriber.refuse(*message, handled.refusal().reason);
    return Consumed::Refused;
  }
  subscriber.acknowledge(*message);
  return handled.value() == Stored::Duplicate ? Consumed::Duplicate : Consumed::Stored;
}

}  // namespace stagegate::knowledge_base
