#pragma once
// The normalized stage notification (CONTRACT.md section 2), read from verified bytes only.
#include <optional>
#include <string>

namespace stagegate::routing {

enum class Stage { Received = 1, SentForExecution, InProgress, Executed, AwaitingIssuance, Closed };
enum class Outcome { Issued, Refused };
enum class DelayKind { Technical, Other };

struct Recipient {
  std::string iin;  // exactly one of iin / bin is set
  std::string bin;
  std::string last_name;
  std::string first_name;
  std::string middle_name;  // may be empty
};

struct StageEvent {
  std::string application_id;
  std::string service_code;
  std::string service_name;
  std::string provider_bin;
  std::string provider_name;
  Recipient recipient;
  std::string reception_place;
  std::string reception_date;  // xsd:dateTime with offset, as sent
  std::string executor;        // empty at stage 1 when absent
  std::optional<std::string> planned_date;    // YYYY-MM-DD (an offset as sent is dropped: the date is the provider's)
  std::optional<std::string> execution_date;  // xsd:dateTime
  Stage stage = Stage::Received;
  std::string stage_at;  // xsd:dateTime
  std::optional<Outcome> outcome;
  std::optional<DelayKind> delay_kind;
  std::string delay_reason;
  std::string received_at;  // when the gateway received the message: UTC, YYYY-MM-DDTHH:MM:SS.mmmZ
};

}  // namespace stagegate::routing
