#include <nlohmann/json.hpp>

#include "stagegate/monitoring/store.h"

namespace stagegate::monitoring {

Result<StageRecord> parse_stage_message(const std::string& text) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return refuse(Code::Malformed, "not JSON");
  if (json.value("schema", "") != "stagegate.stage/1") return refuse(Code::Malformed, "not a stagegate.stage/1 message");
  try {
    StageRecord record;
    record.application_id = json.at("applicationId").get<std::string>();
    record.service_code = json.at("service").at("code").get<std::string>();
    record.service_name = json.at("service").at("name").get<std::string>();
    record.provider_bin = json.at("provider").at("bin").get<std::string>();
    record.provider_name = json.at("provider").at("name").get<std::string>();
    record.reception_date = json.at("receptionDate").get<std::string>();
    record.provider_planned = json.value("plannedDate", "");
    // An offset-qualified xsd:date ("2026-11-25+05:00") from a gateway that did not normalize
    // it yet: its date part is the provider's date.
    if (record.provider_planned.size() > 10 && std::string("Z+-").find(record.provider_planned[10]) != std::string::npos)
      record.provider_planned.resize(10);
    record.execution_date = json.value("executionDate", "");
    record.stage = json.at("stage").at("code").get<int>();
    record.stage_name = json.at("stage").at("name").get<std::string>();
    record.stage_at = json.at("stage").at("at").get<std::string>();
    record.outcome = json.value("outcome", "");
    if (json.contains("delayReason")) {
      record.delay_kind = json.at("delayReason").value("kind", "");
      record.delay_reason = json.at("delayReason").value("text", "");
    }
    record.received_at = json.value("receivedAt", "");  // absent in messages journaled before it existed
    return record;
  } catch (const nlohmann::json::exception& error) {
    return refuse(Code::Malformed, std::string("stage message: ") + error.what());
  }
}

}  // namespace stagegate::monitoring
