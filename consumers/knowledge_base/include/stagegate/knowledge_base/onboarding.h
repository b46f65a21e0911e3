#pragma once
// The onboarding and update deadlines of order 130 (seed 003, items 4-12) on the working-day
// calendar, from the events operators record and the service information forms received:
//   appointment  responsible person named within 3 working days of the request
//   information  the form within 5 working days of the appointment
//   training     within 10 working days of the information
//   consulting   the contact center starts 5 working days after the protocol
//   update       a changed form within 5 working days of the change
//   report       repeated refusals of one body within a month reported to the quality
//                authority within 3 working days
#include <optional>
#include <string>
#include <vector>

#include "stagegate/knowledge_base/store.h"
#include "stagegate/monitoring/calendar.h"
#include "stagegate/monitoring/planning.h"

namespace stagegate::knowledge_base {

enum class Step { Appointment, Information, Training, Consulting, Update, RefusalReport };
const char* step_name(Step step);

struct Deadline {
  Step step = Step::Appointment;
  std::string body_bin;
  std::string service_code;     // empty for RefusalReport
  std::string responsible;      // "body" or "contact center"
  std::string started_by;       // e.g. "request 2026-11-02"
  monitoring::Date due;
  std::optional<monitoring::Date> done;
  monitoring::Overdue overdue;  // against `done`, or against today when not done
  std::vector<std::string> refusals;  // RefusalReport: the refusal dates of the month
};

// Every deadline the recorded events start, measured at `today`.
std::vector<Deadline> onboarding_deadlines(const KnowledgeStore& store, const monitoring::WorkingCalendar& calendar,
                                           monitoring::Date today);

// The `stagegate kb overdue` text: late deadlines, then repeated refusals with their deadline.
std::string describe_overdue(const std::vector<Deadline>& deadlines, const KnowledgeStore& store);

}  // namespace stagegate::knowledge_base
