#pragma once
// A stage change as the notification consumer reads it: the `notification` destination's
// view of a stagegate.stage/1 message (docs/messages.md): no provider BIN, no executor.
#include <string>

#include "stagegate/core/result.h"

namespace stagegate::notification {

struct StageChange {
  std::string application_id;
  std::string service_code;
  std::string service_name;
  std::string provider_name;
  std::string recipient_number;  // the recipient's IIN (a person) or BIN (an organization)
  std::string last_name, first_name, middle_name;
  std::string reception_place;
  std::string planned_date;  // YYYY-MM-DD or empty
  int stage = 0;             // 1 ... 6
  std::string stage_name;    // RECEIVED ... CLOSED
  std::string stage_at;      // xsd:dateTime as sent
  std::string outcome;       // ISSUED / REFUSED at stage 6, else empty
};

// MALFORMED when the payload is not a stagegate.stage/1 message with the fields above.
Result<StageChange> parse_stage_change(const std::string& payload);

}  // namespace stagegate::notification
