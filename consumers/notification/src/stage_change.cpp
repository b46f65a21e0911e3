#include "stagegate/notification/stage_change.h"

#include <nlohmann/json.hpp>

namespace stagegate::notification {

Result<StageChange> parse_stage_change(const std::string& payload) {
  const auto json = nlohmann::json::parse(payload, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return refuse(Code::Malformed, "not JSON");
  if (json.value("schema", "") != "stagegate.stage/1") return refuse(Code::Malformed, "not a stagegate.stage/1 message");
  try {
    StageChange change;
    change.application_id = json.at("applicationId").get<std::string>();
    change.service_code = json.at("service").at("code").get<std::string>();
    change.service_name = json.at("service").at("name").get<std::string>();
    change.provider_name = json.at("provider").at("name").get<std::string>();
    const auto& recipient = json.at("recipient");
    change.recipient_number = recipient.contains("iin") ? recipient.at("iin").get<std::string>()
                                                        : recipient.at("bin").get<std::string>();
    change.last_name = recipient.value("lastName", "");
    change.first_name = recipient.value("firstName", "");
    change.middle_name = recipient.value("middleName", "");
    change.reception_place = json.value("receptionPlace", "");
    change.planned_date = json.value("plannedDate", "");
    change.stage = json.at("stage").at("code").get<int>();
    change.stage_name = json.at("stage").at("name").get<std::string>();
    change.stage_at = json.at("stage").at("at").get<std::string>();
    change.outcome = json.value("outcome", "");
    if (change.stage < 1 || change.stage > 6) return refuse(Code::Malformed, "stage code out of 1-6");
    if (change.application_id.empty() || change.recipient_number.empty())
      return refuse(Code::Malformed, "stage message without applicationId or recipient");
    return change;
  } catch (const nlohmann::json::exception& error) {
    return refuse(Code::Malformed, std::string("stage message: ") + error.what());
  }
}

}  // namespace stagegate::notification
