#include <boost/test/unit_test.hpp>

#include "kb_fixture.h"
#include "stagegate/knowledge_base/onboarding.h"

using namespace stagegate;
using namespace stagegate::knowledge_base;
using monitoring::parse_date;

namespace {

constexpr const char* kAlmaty = "050140001238";
constexpr const char* kAstana = "990340005977";
constexpr const char* kShymkent = "000740001307";
constexpr const char* kKaraganda = "010540003399";

struct DeadlineFixture : test::KnowledgeBaseFixture {
  void record(const std::string& kind, const std::string& body, const std::string& service, const std::string& date) {
    OnboardingEvent event{0, kind, body, service, date, "", "2026-11-01T00:00:00Z"};
    BOOST_REQUIRE(store.record_event(event).ok());
  }
  void form_arrives(const std::string& body, const std::string& code, const std::string& utc) {
    now = utc;
    test::ServiceInfoFields fields;
    fields.body_bin = body;
    fields.code = code;
    deliver(test::service_info_payload(fields));
  }
  std::vector<Deadline> at(const std::string& today) { return onboarding_deadlines(store, calendar, parse_date(today)); }
  static const Deadline& find(const std::vector<Deadline>& deadlines, Step step, const std::string& body) {
    for (const auto& deadline : deadlines)
      if (deadline.step == step && deadline.body_bin == body) return deadline;
    throw std::runtime_error(std::string("no deadline ") + step_name(step) + " for " + body);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(knowledge_base_deadlines, DeadlineFixture)

BOOST_AUTO_TEST_CASE(appointment_is_due_three_working_days_after_the_request_on_the_calendar) {
  record("request", kAlmaty, "Z22-74", "2026-10-22");  // Thursday; Monday 26th is Republic Day moved off Sunday
  const auto deadlines = at("2026-11-02");
  const auto& appointment = find(deadlines, Step::Appointment, kAlmaty);
  BOOST_TEST(monitoring::format_date(appointment.due) == "2026-10-28");
  BOOST_TEST(!appointment.done.has_value());
  BOOST_TEST(appointment.overdue.working_days == 3);  // 29th, 30th, 2nd
  BOOST_TEST(appointment.overdue.calendar_days == 5);
  const auto& information = find(deadlines, Step::Information, kAlmaty);
  BOOST_TEST(monitoring::format_date(information.due) == "2026-11-04");  // five after the appointment was due
  BOOST_TEST(!information.overdue.late());
  const auto text = describe_overdue(deadlines, store);
  BOOST_TEST(text.find("body 050140001238 service Z22-74: appointment due 2026-10-28 (request 2026-10-22), not done, late 3 "
                       "working days (5 calendar days)") != std::string::npos,
             text);
  BOOST_TEST(text.find("information") == std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(the_form_meets_appointment_and_information_then_training_protocol_and_consulting_follow) {
  record("request", kAstana, "Z22-10", "2026-11-02");
  form_arrives(kAstana, "Z22-10", "2026-11-04T06:00:00Z");
  // As of the 3rd the form (of the 4th) had not come: nothing done, no training deadline yet.
  const auto before = at("2026-11-03");
  BOOST_TEST(!find(before, Step::Appointment, kAstana).done.has_value());
  BOOST_TEST(!find(before, Step::Information, kAstana).done.has_value());
  BOOST_CHECK_THROW(find(before, Step::Training, kAstana), std::runtime_error);
  auto deadlines = at("2026-11-20");
  BOOST_TEST(!find(deadlines, Step::Appointment, kAstana).overdue.late());
  BOOST_TEST(monitoring::format_date(*find(deadlines, Step::Appointment, kAstana).done) == "2026-11-04");
  const auto& information = find(deadlines, Step::Information, kAstana);
  BOOST_TEST(monitoring::format_date(information.due) == "2026-11-11");  // five after the appointment (the form)
  BOOST_TEST(!information.overdue.late());
  const auto& training = find(deadlines, Step::Training, kAstana);
  BOOST_TEST(monitoring::format_date(training.due) == "2026-11-18");
  BOOST_TEST(!training.done.has_value());
  BOOST_TEST(training.overdue.working_days == 2);

  record("protocol", kAstana, "Z22-10", "2026-11-19");
  deadlines = at("2026-11-20");
  const auto& trained = find(deadlines, Step::Training, kAstana);
  BOOST_TEST(monitoring::format_date(*trained.done) == "2026-11-19");
  BOOST_TEST(trained.overdue.working_days == 1);  // done a day late
  const auto& consulting = find(deadlines, Step::Consulting, kAstana);
  BOOST_TEST(consulting.responsible == "contact center");
  BOOST_TEST(monitoring::format_date(consulting.due) == "2026-11-26");
  BOOST_TEST(!consulting.overdue.late());
  record("consulting", kAstana, "Z22-10", "2026-11-26");
  BOOST_TEST(monitoring::format_date(*find(at("2026-12-01"), Step::Consulting, kAstana).done) == "2026-11-26");
}

BOOST_AUTO_TEST_CASE(a_change_wants_a_new_form_within_five_working_days) {
  form_arrives(kAstana, "Z22-10", "2026-11-04T06:00:00Z");
  record("change", kAstana, "Z22-10", "2026-11-09");
  auto update = find(at("2026-11-20"), Step::Update, kAstana);
  BOOST_TEST(monitoring::format_date(update.due) == "2026-11-16");
  BOOST_TEST(!update.done.has_value());  // the form of the 4th came before the change
  BOOST_TEST(update.overdue.working_days == 4);
  form_arrives(kAstana, "Z22-10", "2026-11-17T05:00:00Z");
  update = find(at("2026-11-20"), Step::Update, kAstana);
  BOOST_TEST(monitoring::format_date(*update.done) == "2026-11-17");
  BOOST_TEST(update.overdue.working_days == 1);
  // Both versions are kept.
  BOOST_TEST(store.service_history("Z22-10").size() == 2u);
}

BOOST_AUTO_TEST_CASE(repeated_refusals_within_a_month_are_reported_within_three_working_days) {
  record("refusal", kShymkent, "", "2026-10-20");
  record("refusal", kShymkent, "", "2026-11-12");
  record("refusal", kKaraganda, "", "2026-09-01");
  record("refusal", kKaraganda, "", "2026-10-15");  // more than a month after the first
  auto deadlines = at("2026-11-20");
  std::size_t reports = 0;
  for (const auto& deadline : deadlines) reports += deadline.step == Step::RefusalReport;
  BOOST_TEST(reports == 1u);
  const auto& report = find(deadlines, Step::RefusalReport, kShymkent);
  BOOST_TEST(monitoring::format_date(report.due) == "2026-11-17");
  BOOST_TEST((report.refusals == std::vector<std::string>{"2026-10-20", "2026-11-12"}));
  BOOST_TEST(report.overdue.working_days == 3);
  const auto text = describe_overdue(deadlines, store);
  BOOST_TEST(text.find("body 000740001307: refusals 2026-10-20 2026-11-12; report due 2026-11-17, not reported, late 3 working days") !=
                 std::string::npos,
             text);
  record("reported", kShymkent, "", "2026-11-17");
  const auto reported = find(at("2026-11-20"), Step::RefusalReport, kShymkent);
  BOOST_TEST(!reported.overdue.late());
  BOOST_TEST(monitoring::format_date(*reported.done) == "2026-11-17");
}

BOOST_AUTO_TEST_CASE(nothing_recorded_nothing_overdue) {
  BOOST_TEST(at("2026-11-20").empty());
  BOOST_TEST(describe_overdue({}, store) == "no onboarding or update deadline is overdue\n");
  OnboardingEvent unknown{0, "party", kAlmaty, "Z22-74", "2026-11-02", "", "2026-11-01T00:00:00Z"};
  const auto refused = store.record_event(unknown);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST((refused.refusal().code == Code::DataInvalid));
}

BOOST_AUTO_TEST_SUITE_END()
