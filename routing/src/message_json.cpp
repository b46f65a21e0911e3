#include "json_writer.h"
#include "stagegate/routing/normalize.h"

namespace stagegate::routing {
namespace {

std::string_view or_empty(const std::optional<std::string>& value) { return value ? std::string_view(*value) : std::string_view(); }

}  // namespace

// Fields are named by KnownField so that a destination's filter is a bit test per field.
std::string to_json(const StageEvent& event, const FieldFilter& keep) {
  using F = KnownField;
  JsonWriter json(keep);
  json.begin_object()
      .field(F::Schema, "stagegate.stage/1")
      .field(F::ApplicationId, event.application_id)
      .begin_object(F::Service).field(F::ServiceCode, event.service_code).field(F::ServiceName, event.service_name).end_object()
      .begin_object(F::Provider).field(F::ProviderBin, event.provider_bin).field(F::ProviderName, event.provider_name).end_object()
      .begin_object(F::Recipient)
      .optional_field(F::RecipientIin, event.recipient.iin)
      .optional_field(F::RecipientBin, event.recipient.bin)
      .field(F::RecipientLastName, event.recipient.last_name)
      .field(F::RecipientFirstName, event.recipient.first_name)
      .optional_field(F::RecipientMiddleName, event.recipient.middle_name)
      .end_object()
      .field(F::ReceptionPlace, event.reception_place)
      .field(F::ReceptionDate, event.reception_date)
      .optional_field(F::Executor, event.executor)
      .optional_field(F::PlannedDate, or_empty(event.planned_date))
      .optional_field(F::ExecutionDate, or_empty(event.execution_date))
      .begin_object(F::Stage)
      .field(F::StageCode, static_cast<std::int64_t>(event.stage))
      .field(F::StageName, stage_name(event.stage))
      .field(F::StageAt, event.stage_at)
      .end_object()
      .optional_field(F::ReceivedAt, event.received_at);
  if (event.outcome) json.field(F::Outcome, *event.outcome == Outcome::Issued ? "ISSUED" : "REFUSED");
  if (event.delay_kind)
    json.begin_object(F::DelayReason)
        .field(F::DelayReasonKind, *event.delay_kind == DelayKind::Technical ? "TECHNICAL" : "OTHER")
        .field(F::DelayReasonText, event.delay_reason)
        .end_object();
  return json.end_object().take();
}

std::string to_json(const ServiceInfo& info, const FieldFilter& keep) {
  using F = KnownField;
  JsonWriter json(keep);
  return json.begin_object()
      .field(F::Schema, "stagegate.kb/1")
      .field(F::RegistryNumber, info.registry_number)
      .begin_object(F::Name).field(F::NameKk, info.name_kk).field(F::NameRu, info.name_ru).end_object()
      .field(F::Standard, info.standard)
      .field(F::Regulation, info.regulation)
      .optional_field(F::LegalChanges, info.legal_changes)
      .field(F::Url, info.url)
      .begin_object(F::Responsible)
      .field(F::ResponsibleFullName, info.responsible_full_name)
      .field(F::ResponsiblePosition, info.responsible_position)
      .field(F::ResponsiblePhone, info.responsible_phone)
      .field(F::ResponsibleEmail, info.responsible_email)
      .end_object()
      .begin_object(F::Body).field(F::BodyBin, info.body_bin).field(F::BodyName, info.body_name).end_object()
      .end_object()
      .take();
}

}  // namespace stagegate::routing
