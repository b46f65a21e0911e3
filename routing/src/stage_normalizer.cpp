#include <algorithm>
#include <array>
#include <string_view>

#include "datetime.h"
#include "stagegate/core/clock.h"
#include "document_fields.h"
#include "stagegate/routing/normalize.h"

namespace stagegate::routing {
namespace {

constexpr std::array kStageNames{"RECEIVED", "SENT_FOR_EXECUTION", "IN_PROGRESS",
                                 "EXECUTED", "AWAITING_ISSUANCE", "CLOSED"};

bool plausible_code(std::string_view code, std::size_t max) {
  if (code.empty() || code.size() > max) return false;
  for (const char c : code) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
                    c == '_' || c == '.' || c == '/';
    if (!ok) return false;
  }
  return true;
}

Result<DateTime> datetime_field(std::string_view path, std::string_view text, bool offset_required) {
  if (text.empty()) return missing(path);
  const auto parsed = parse_datetime(text);
  if (!parsed) return refuse(Code::DataInvalid, std::string(path) + ": not a valid xsd:dateTime");
  if (offset_required && !parsed->has_offset)
    return refuse(Code::DataInvalid, std::string(path) + ": needs a UTC offset (Z or +hh:mm)");
  return *parsed;
}

// A time the provider reports cannot lie ahead of the moment the gateway received it.
Status not_in_future(std::string_view path, const DateTime& value, std::int64_t latest_utc_seconds) {
  if (value.utc_seconds <= latest_utc_seconds) return proceed();
  return refuse(Code::DataInvalid, std::string(path) + ": later than the gateway's receipt of the message (more than " +
                                       std::to_string(kClockSkewAllowance.count()) + " minutes of clock skew)");
}

}  // namespace

std::string_view stage_name(Stage stage) { return kStageNames[static_cast<std::size_t>(stage) - 1]; }

Result<StageEvent> normalize_stage(std::string_view canonical_xml, std::chrono::system_clock::time_point received_by_gateway) {
  const auto latest_allowed =
      std::chrono::duration_cast<std::chrono::seconds>((received_by_gateway + kClockSkewAllowance).time_since_epoch()).count();
  static constexpr std::array<std::string_view, 12> kKnown{"applicationId", "service", "provider", "recipient",
                                                           "receptionPlace", "receptionDate", "executor", "plannedDate",
                                                           "executionDate", "stage", "outcome", "delayReason"};
  pugi::xml_document document;
  auto read = DocumentFields::read(document, canonical_xml, kStageNamespace, "StageNotification", kKnown);
  if (!read) return read.refusal();
  const auto& fields = read.value();

  StageEvent event;
  const auto application_id = fields.text("applicationId");
  if (!application_id) return application_id.refusal();
  if (!plausible_code(application_id.value(), 64))
    return refuse(Code::Schema, "applicationId: letters, digits and -_./ only, at most 64");
  event.application_id = application_id.value();

  const auto service = fields.find("service");
  if (!service) return missing("service");
  event.service_code = service.attribute("code").value();
  if (event.service_code.empty()) return missing("service/@code");
  if (!plausible_code(event.service_code, 32)) return refuse(Code::Schema, "service/@code: not a register code");
  event.service_name = trimmed_text(service);
  if (event.service_name.empty()) return missing("service");

  const auto provider = fields.find("provider");
  if (!provider) return missing("provider");
  event.provider_bin = provider.attribute("bin").value();
  if (event.provider_bin.empty()) return missing("provider/@bin");
  if (!valid_iin_bin(event.provider_bin)) return refuse(Code::DataInvalid, "provider/@bin: not a valid BIN (check digit)");
  event.provider_name = trimmed_text(provider);
  if (event.provider_name.empty()) return missing("provider");

  const auto recipient_node = fields.find("recipient");
  if (!recipient_node) return missing("recipient");
  enum RecipientPart : std::size_t { Iin, Bin, LastName, FirstName, MiddleName };
  static constexpr std::array<std::string_view, 5> kRecipientParts{"iin", "bin", "lastName", "firstName", "middleName"};
  const auto recipient = collect_children(recipient_node, kStageNamespace, "recipient", kRecipientParts);
  if (!recipient) return recipient.refusal();
  const auto& parts = recipient.value();
  const bool has_iin = static_cast<bool>(parts[Iin]);
  const bool has_bin = static_cast<bool>(parts[Bin]);
  if (has_iin == has_bin) return refuse(Code::Schema, "recipient: exactly one of iin or bin");
  const auto id = trimmed_text(parts[has_iin ? Iin : Bin]);
  const std::string_view id_path = has_iin ? "recipient/iin" : "recipient/bin";
  if (id.empty()) return missing(id_path);
  if (id.size() != 12 || id.find_first_not_of("0123456789") != std::string_view::npos)
    return refuse(Code::Schema, std::string(id_path) + ": 12 digits");
  if (!valid_iin_bin(id)) return refuse(Code::DataInvalid, std::string(id_path) + ": check digit");
  (has_iin ? event.recipient.iin : event.recipient.bin) = id;
  event.recipient.last_name = trimmed_text(parts[LastName]);
  if (event.recipient.last_name.empty()) return missing("recipient/lastName");
  event.recipient.first_name = trimmed_text(parts[FirstName]);
  if (event.recipient.first_name.empty()) return missing("recipient/firstName");
  event.recipient.middle_name = trimmed_text(parts[MiddleName]);

  const auto place = fields.text("receptionPlace");
  if (!place) return place.refusal();
  event.reception_place = place.value();

  event.reception_date = fields.optional_text("receptionDate");
  const auto received = datetime_field("receptionDate", event.reception_date, true);
  if (!received) return received.refusal();
  if (auto future = not_in_future("receptionDate", received.value(), latest_allowed); !future) return future.refusal();

  const auto stage = fields.find("stage");
  if (!stage) return missing("stage");
  const std::string_view code = stage.attribute("code").value();
  if (code.empty()) return missing("stage/@code");
  if (code.size() != 1 || code[0] < '1' || code[0] > '6') return refuse(Code::Schema, "stage/@code: 1 to 6");
  event.stage = static_cast<Stage>(code[0] - '0');
  event.stage_at = stage.attribute("at").value();
  const auto stage_at = datetime_field("stage/@at", event.stage_at, true);
  if (!stage_at) return stage_at.refusal();
  if (auto future = not_in_future("stage/@at", stage_at.value(), latest_allowed); !future) return future.refusal();
  if (stage_at->utc_seconds < received->utc_seconds)
    return refuse(Code::DataInvalid, "stage/@at: earlier than receptionDate");

  const int stage_number = static_cast<int>(event.stage);
  event.executor = fields.optional_text("executor");
  if (stage_number >= 2 && event.executor.empty()) return refuse(Code::Schema, "executor: required from stage 2");

  if (const auto planned = fields.optional_text("plannedDate"); !planned.empty()) {
    const auto parsed = parse_date(planned);
    if (!parsed) return refuse(Code::DataInvalid, "plannedDate: not a valid xsd:date");
    // An xsd:date's offset names the zone the date belongs to, not another day: the date is kept as written.
    event.planned_date = planned.substr(0, 10);
  }

  if (const auto executed = fields.optional_text("executionDate"); !executed.empty()) {
    const auto parsed = datetime_field("executionDate", executed, true);
    if (!parsed) return parsed.refusal();
    if (auto future = not_in_future("executionDate", parsed.value(), latest_allowed); !future) return future.refusal();
    if (parsed->utc_seconds < received->utc_seconds)
      return refuse(Code::DataInvalid, "executionDate: earlier than receptionDate");
    event.execution_date = executed;
  } else if (stage_number >= 4) {
    return refuse(Code::Schema, "executionDate: required from stage 4");
  }

  const auto outcome = fields.optional_text("outcome");
  if (event.stage == Stage::Closed) {
    if (outcome.empty()) return refuse(Code::Schema, "outcome: required at stage 6 (CLOSED)");
  } else if (fields.find("outcome")) {
    return refuse(Code::DataInvalid, "outcome: only at stage 6 (CLOSED)");
  }
  if (outcome == "ISSUED") event.outcome = Outcome::Issued;
  else if (outcome == "REFUSED") event.outcome = Outcome::Refused;
  else if (!outcome.empty()) return refuse(Code::Schema, "outcome: ISSUED or REFUSED");

  if (const auto delay = fields.find("delayReason")) {
    const std::string_view kind = delay.attribute("kind").value();
    if (kind == "TECHNICAL") event.delay_kind = DelayKind::Technical;
    else if (kind == "OTHER") event.delay_kind = DelayKind::Other;
    else return refuse(Code::Schema, "delayReason/@kind: TECHNICAL or OTHER");
    event.delay_reason = trimmed_text(delay);
  }
  event.received_at = format_utc(received_by_gateway);
  return event;
}

}  // namespace stagegate::routing
