#pragma once
// What the contact center says, in Kazakh and in Russian: stage names (seed 002 item 6),
// outcomes, the stage time, the planned date and overdue.
#include <string>

#include "stagegate/monitoring/planning.h"

namespace stagegate::knowledge_base {

struct Wording {
  std::string kk;
  std::string ru;
};

Wording stage_wording(int stage);  // 1..6; "unknown stage" otherwise
Wording outcome_wording(const std::string& outcome);
Wording stage_time_wording(const std::string& stage_at);
Wording planned_date_wording(const std::string& planned_date);  // empty: "not set"
Wording overdue_wording(const monitoring::Overdue& overdue, bool planned_known);

}  // namespace stagegate::knowledge_base
