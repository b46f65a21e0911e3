#pragma once
// stagegate.stage/1 payloads as the gateway delivers them, for monitoring tests.
#include <string>

namespace stagegate::test {

struct StageFields {
  std::string application_id = "002145678912";
  std::string service_code = "Z22-74";
  std::string provider_bin = "050140001238";
  std::string provider_name = "Акимат города Алматы";
  std::string reception = "2025-10-01T10:00:00+05:00";
  int stage = 1;
  std::string at = "2025-10-01T10:00:00+05:00";
  std::string planned;    // provider's plannedDate
  std::string execution;  // executionDate
  std::string outcome;
  std::string delay_kind;
  std::string received_at;  // the gateway's receivedAt
};

inline std::string stage_payload(const StageFields& f) {
  static const char* names[] = {"", "RECEIVED", "SENT_FOR_EXECUTION", "IN_PROGRESS", "EXECUTED", "AWAITING_ISSUANCE", "CLOSED"};
  std::string json = "{\"schema\":\"stagegate.stage/1\",\"applicationId\":\"" + f.application_id +
                     "\",\"service\":{\"code\":\"" + f.service_code + "\",\"name\":\"Услуга " + f.service_code +
                     "\"},\"provider\":{\"bin\":\"" + f.provider_bin + "\",\"name\":\"" + f.provider_name +
                     "\"},\"recipient\":{\"iin\":\"920315450126\",\"lastName\":\"Сейткали\",\"firstName\":\"Айгерим\"},"
                     "\"receptionPlace\":\"ЦОН\",\"receptionDate\":\"" + f.reception + "\"";
  if (!f.planned.empty()) json += ",\"plannedDate\":\"" + f.planned + "\"";
  if (!f.execution.empty()) json += ",\"executionDate\":\"" + f.execution + "\"";
  json += ",\"stage\":{\"code\":" + std::to_string(f.stage) + ",\"name\":\"" + names[f.stage] + "\",\"at\":\"" + f.at + "\"}";
  if (!f.outcome.empty()) json += ",\"outcome\":\"" + f.outcome + "\"";
  if (!f.received_at.empty()) json += ",\"receivedAt\":\"" + f.received_at + "\"";
  if (!f.delay_kind.empty()) json += ",\"delayReason\":{\"kind\":\"" + f.delay_kind + "\",\"text\":\"ИС недоступна\"}";
  return json + "}";
}

}  // namespace stagegate::test
