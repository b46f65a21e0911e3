#include "stagegate/knowledge_base/onboarding.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace stagegate::knowledge_base {
namespace {

using monitoring::Date;
using monitoring::format_date;
using monitoring::parse_date;

constexpr int kAppointmentDays = 3;
constexpr int kInformationDays = 5;
constexpr int kTrainingDays = 10;
constexpr int kConsultingDays = 5;
constexpr int kUpdateDays = 5;
constexpr int kRefusalReportDays = 3;

// Events of one kind for (body, service) on or after `since`, earliest first.
std::optional<Date> first_event(const std::vector<OnboardingEvent>& events, const std::vector<std::string>& kinds,
                                const std::string& body, const std::string& service, Date since) {
  std::optional<Date> first;
  for (const auto& event : events) {
    if (event.body_bin != body || std::find(kinds.begin(), kinds.end(), event.kind) == kinds.end()) continue;
    if (!service.empty() && event.service_code != service) continue;
    const auto date = parse_date(event.date);
    if (date < since) continue;
    if (!first || date < *first) first = date;
  }
  return first;
}

std::optional<Date> first_form(const KnowledgeStore& store, const std::string& service, const std::string& body, Date since) {
  const auto found = store.first_version_since(service, body, format_date(since));
  if (!found) return std::nullopt;
  return parse_date(*found);
}

Date earlier(std::optional<Date> a, std::optional<Date> b) {
  if (a && b) return std::min(*a, *b);
  return a ? *a : *b;
}

class Planner {
 public:
  Planner(const KnowledgeStore& store, const monitoring::WorkingCalendar& calendar, Date today)
      : store_(store), calendar_(calendar), today_(today), events_(store.events()) {}

  std::vector<Deadline> plan() {
    for (const auto& event : events_) {
      const auto date = parse_date(event.date);
      if (event.kind == "request") onboarding(event, date);
      else if (event.kind == "protocol") consulting(event, date);
      else if (event.kind == "change") update(event, date);
    }
    refusal_reports();
    return std::move(deadlines_);
  }

 private:
  // Items 5 and 8 of order 130: appointment, information, training from a request.
  void onboarding(const OnboardingEvent& request, Date requested) {
    const auto& body = request.body_bin;
    const auto& service = request.service_code;
    auto form = first_form(store_, service, body, requested);
    if (form && *form > today_) form.reset();  // not received yet as of today
    // A form names the responsible person, so it also shows the appointment was made.
    const auto appointed_event = first_event(events_, {"appointed"}, body, service, requested);
    std::optional<Date> appointed;
    if (appointed_event || form) appointed = earlier(appointed_event, form);
    const auto appointment_due = calendar_.add_working_days(requested, kAppointmentDays);
    add(Step::Appointment, request, "request " + request.date, appointment_due, appointed, "body");

    const Date information_from = appointed ? *appointed : appointment_due;
    add(Step::Information, request, appointed ? "appointment " + format_date(*appointed) : "appointment due " + format_date(appointment_due),
        calendar_.add_working_days(information_from, kInformationDays), form, "body");

    if (!form) return;  // training is counted from the information
    const auto trained = first_event(events_, {"training", "protocol"}, body, service, *form);
    add(Step::Training, request, "information " + format_date(*form), calendar_.add_working_days(*form, kTrainingDays), trained,
        "body");
  }

  // Item 9: the contact center consults from five working days after the protocol.
  void consulting(const OnboardingEvent& protocol, Date signed_on) {
    const auto started = first_event(events_, {"consulting"}, protocol.body_bin, protocol.service_code, signed_on);
    add(Step::Consulting, protocol, "protocol " + protocol.date, calendar_.add_working_days(signed_on, kConsultingDays), started,
        "contact center");
  }

  // Item 6: a changed form within five working days of the change.
  void update(const OnboardingEvent& change, Date changed_on) {
    add(Step::Update, change, "change " + change.date, calendar_.add_working_days(changed_on, kUpdateDays),
        first_form(store_, change.service_code, change.body_bin, changed_on), "body");
  }

  // Item 12: a body's second (or later) refusal within a month of an earlier one is reported to
  // the quality authority within three working days.
  void refusal_reports() {
    std::map<std::string, std::vector<const OnboardingEvent*>> by_body;
    for (const auto& event : events_)
      if (event.kind == "refusal") by_body[event.body_bin].push_back(&event);
    for (const auto& [body, refusals] : by_body) {
      for (std::size_t i = 1; i < refusals.size(); ++i) {
        const auto date = parse_date(refusals[i]->date);
        auto month_before = date - std::chrono::months(1);
        if (!month_before.ok()) month_before = month_before.year() / month_before.month() / std::chrono::last;
        std::vector<std::string> within;
        for (std::size_t j = 0; j <= i; ++j)
          if (parse_date(refusals[j]->date) >= Date(month_before)) within.push_back(refusals[j]->date);
        if (within.size() < 2) continue;
        const auto reported = first_event(events_, {"reported"}, body, "", date);
        auto& deadline = add(Step::RefusalReport, *refusals[i], "repeated refusal " + refusals[i]->date,
                             calendar_.add_working_days(date, kRefusalReportDays), reported, "contact center");
        deadline.service_code.clear();
        deadline.refusals = within;
      }
    }
  }

  Deadline& add(Step step, const OnboardingEvent& start, std::string started_by, Date due, std::optional<Date> done,
                const char* responsible) {
    Deadline deadline;
    deadline.step = step;
    deadline.body_bin = start.body_bin;
    deadline.service_code = start.service_code;
    deadline.responsible = responsible;
    deadline.started_by = std::move(started_by);
    deadline.due = due;
    // Measured as of `today`: what happened later is not known yet.
    deadline.done = done && *done <= today_ ? done : std::nullopt;
    deadline.overdue = monitoring::overdue_between(due, deadline.done ? *deadline.done : today_, calendar_);
    deadlines_.push_back(std::move(deadline));
    return deadlines_.back();
  }

  const KnowledgeStore& store_;
  const monitoring::WorkingCalendar& calendar_;
  Date today_;
  std::vector<OnboardingEvent> events_;
  std::vector<Deadline> deadlines_;
};

}  // namespace

const char* step_name(Step step) {
  switch (step) {
    case Step::Appointment: return "appointment";
    case Step::Information: return "information";
    case Step::Training: return "training";
    case Step::Consulting: return "consulting";
    case Step::Update: return "update";
    case Step::RefusalReport: return "refusal-report";
  }
  return "?";
}

std::vector<Deadline> onboarding_deadlines(const KnowledgeStore& store, const monitoring::WorkingCalendar& calendar,
                                           monitoring::Date today) {
  return Planner(store, calendar, today).plan();
}

std::string describe_overdue(const std::vector<Deadline>& deadlines, const KnowledgeStore& store) {
  std::ostringstream out;
  int late = 0;
  for (const auto& deadline : deadlines) {
    if (deadline.step == Step::RefusalReport || !deadline.overdue.late()) continue;
    ++late;
    const auto name = store.body_name(deadline.body_bin);
    out << deadline.responsible << (deadline.responsible == "body" ? " " + deadline.body_bin : std::string())
        << (name.empty() || deadline.responsible != "body" ? std::string() : " (" + name + ")") << " service "
        << deadline.service_code << ": " << step_name(deadline.step) << " due " << format_date(deadline.due) << " ("
        << deadline.started_by << "), " << (deadline.done ? "done " + format_date(*deadline.done) : std::string("not done"))
        << ", late " << deadline.overdue.working_days << " working days (" << deadline.overdue.calendar_days
        << " calendar days)\n";
  }
  if (late == 0) out << "no onboarding or update deadline is overdue\n";
  bool header = false;
  for (const auto& deadline : deadlines) {
    if (deadline.step != Step::RefusalReport) continue;
    if (!header) out << "repeated refusals to report to the quality authority (within 3 working days):\n";
    header = true;
    out << "  body " << deadline.body_bin << ": refusals";
    for (const auto& date : deadline.refusals) out << ' ' << date;
    out << "; report due " << format_date(deadline.due) << ", "
        << (deadline.done ? "reported " + format_date(*deadline.done) : std::string("not reported"));
    if (deadline.overdue.late()) out << ", late " << deadline.overdue.working_days << " working days";
    out << '\n';
  }
  return out.str();
}

}  // namespace stagegate::knowledge_base
