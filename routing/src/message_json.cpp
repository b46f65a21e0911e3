#include "json_writer.h"
#include "stagegate/routing/normalize.h"

namespace stagegate::routing {

std::string to_json(const StageEvent& event, const FieldFilter& keep) {
  JsonWriter json(keep);
  json.begin_object()
      .field("schema", "stagegate.stage/1")
      .field("applicationId", event.application_id)
      .begin_object("service").field("code", event.service_code).field("name", event.service_name).end_object()
      .begin_object("provider").field("bin", event.provider_bin).field("name", event.provider_name).end_object()
      .begin_object("recipient")
      .optional_field("iin", event.recipient.iin)
      .optional_field("bin", event.recipient.bin)
      .field("lastName", event.recipient.last_name)
      .field("firstName", event.recipient.first_name)
      .optional_field("middleName", event.recipient.middle_name)
      .end_object()
      .field("receptionPlace", event.reception_place)
      .field("receptionDate", event.reception_date)
      .optional_field("executor", event.executor)
      .optional_field("plannedDate", event.planned_date.value_or(""))
      .optional_field("executionDate", event.execution_date.value_or(""))
      .begin_object("stage")
      .field("code", static_cast<std::int64_t>(event.stage))
      .field("name", stage_name(event.stage))
      .field("at", event.stage_at)
      .end_object()
      .optional_field("receivedAt", event.received_at);
  if (event.outcome) json.field("outcome", *event.outcome == Outcome::Issued ? "ISSUED" : "REFUSED");
  if (event.delay_kind)
    json.begin_object("delayReason")
        .field("kind", *event.delay_kind == DelayKind::Technical ? "TECHNICAL" : "OTHER")
        .field("text", event.delay_reason)
        .end_object();
  return json.end_object().take();
}

std::string to_json(const ServiceInfo& info, const FieldFilter& keep) {
  JsonWriter json(keep);
  return json.begin_object()
      .field("schema", "stagegate.kb/1")
      .field("registryNumber", info.registry_number)
      .begin_object("name").field("kk", info.name_kk).field("ru", info.name_ru).end_object()
      .field("standard", info.standard)
      .field("regulation", info.regulation)
      .optional_field("legalChanges", info.legal_changes)
      .field("url", info.url)
      .begin_object("responsible")
      .field("fullName", info.responsible_full_name)
      .field("position", info.responsible_position)
      .field("phone", info.responsible_phone)
      .field("email", info.responsible_email)
      .end_object()
      .begin_object("body").field("bin", info.body_bin).field("name", info.body_name).end_object()
      .end_object()
      .take();
}

}  // namespace stagegate::routing
