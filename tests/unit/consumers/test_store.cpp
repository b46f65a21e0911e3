#include <boost/test/unit_test.hpp>

#include "monitor_fixture.h"

using namespace stagegate;
using namespace stagegate::monitoring;

BOOST_FIXTURE_TEST_SUITE(monitoring_store, test::MonitorFixture)

BOOST_AUTO_TEST_CASE(a_late_earlier_stage_is_recorded_in_its_place) {
  apply(at_stage(1, "2025-10-01T10:00:00+05:00"));
  apply(at_stage(3, "2025-10-02T09:00:00+05:00"));
  apply(at_stage(2, "2025-10-01T15:30:00+05:00"));  // arrives last, happened second
  const auto application = only();
  BOOST_REQUIRE_EQUAL(application.history.size(), 3u);
  BOOST_TEST(application.history[0].code == 1);
  BOOST_TEST(application.history[1].code == 2);
  BOOST_TEST(application.history[2].code == 3);
  BOOST_TEST(application.latest_stage == 3);
}

BOOST_AUTO_TEST_CASE(times_in_other_offsets_order_by_the_instant) {
  apply(at_stage(1, "2025-10-01T10:00:00+05:00"));
  apply(at_stage(2, "2025-10-01T06:00:00Z"));  // 11:00 in Almaty
  apply(at_stage(3, "2025-10-01T10:30:00+05:00"));
  const auto application = only();
  BOOST_TEST(application.history[1].code == 3);
  BOOST_TEST(application.history[2].code == 2);
}

BOOST_AUTO_TEST_CASE(duplicates_are_ignored) {
  BOOST_TEST((apply(at_stage(2, "2025-10-01T15:30:00+05:00")) == Applied::Recorded));
  BOOST_TEST((apply(at_stage(2, "2025-10-01T15:30:00+05:00")) == Applied::Duplicate));  // sent twice by the provider
  const auto again = monitor.handle(test::stage_payload(at_stage(3, "2025-10-02T09:00:00+05:00")), sequence);  // redelivered
  BOOST_TEST((again.value() == Applied::Duplicate));
  BOOST_TEST(only().history.size() == 1u);
  BOOST_TEST(store->last_sequence() == 2u);
}

BOOST_AUTO_TEST_CASE(a_stage_after_closed_is_flagged_not_lost) {
  auto closed = at_stage(6, "2025-10-08T12:00:00+05:00");
  closed.execution = "2025-10-07T17:00:00+05:00";
  closed.outcome = "ISSUED";
  apply(closed);
  BOOST_TEST((apply(at_stage(5, "2025-10-09T09:00:00+05:00")) == Applied::RecordedAfterClosed));
  const auto application = only();
  BOOST_REQUIRE_EQUAL(application.history.size(), 2u);
  BOOST_TEST(application.history[1].flag == "after CLOSED");
  BOOST_TEST(application.outcome == "ISSUED");
  BOOST_TEST(application.latest_stage == 6);
}

BOOST_AUTO_TEST_CASE(planned_date_is_computed_when_the_provider_sends_none) {
  apply(at_stage(1, "2025-10-01T10:00:00+05:00"));
  const auto application = only();
  BOOST_TEST(application.planned.date == "2025-10-08");
  BOOST_TEST(application.planned.source == "computed");
}

BOOST_AUTO_TEST_CASE(a_providers_planned_date_is_kept_as_declared_and_a_disagreement_flagged) {
  auto fields = at_stage(1, "2025-10-01T10:00:00+05:00");
  fields.planned = "2025-10-10";
  apply(fields);
  const auto application = only();
  BOOST_TEST(application.planned.date == "2025-10-08");  // computed: the provider's date is not used
  BOOST_TEST(application.planned.source == "computed");
  BOOST_TEST(application.planned.computed == "2025-10-08");
  BOOST_TEST(application.planned.declared == "2025-10-10");
  BOOST_TEST(application.planned.disagrees);
  BOOST_TEST(application.planned.moved_later);  // later than computed
  BOOST_TEST(describe(application, parse_date("2025-10-20"), calendar).find("DISAGREES") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(overdue_of_open_and_executed_applications) {
  apply(at_stage(1, "2025-10-01T10:00:00+05:00"));  // planned 2025-10-08
  auto open = only();
  const auto so_far = overdue_of(open, parse_date("2025-10-13"), calendar);
  BOOST_TEST(so_far.calendar_days == 5);
  BOOST_TEST(so_far.working_days == 3);  // Oct 9, 10, 13
  auto executed = at_stage(4, "2025-10-10T16:00:00+05:00");
  executed.execution = "2025-10-10T16:00:00+05:00";
  apply(executed);
  const auto done = overdue_of(only(), parse_date("2025-12-01"), calendar);
  BOOST_TEST(done.working_days == 2);
  BOOST_TEST(done.calendar_days == 2);
}

BOOST_AUTO_TEST_CASE(a_payload_that_is_not_a_stage_message_is_malformed) {
  const auto refused = monitor.handle("{\"schema\":\"stagegate.kb/1\"}", ++sequence);
  BOOST_REQUIRE(!refused.ok());
  BOOST_TEST(refused.refusal().code == Code::Malformed);
}

BOOST_AUTO_TEST_CASE(two_instances_on_one_store_apply_a_message_once) {
  const auto second_store = store_under_test.open();
  Monitor second{*second_store, calendar, services};
  const auto payload = test::stage_payload(at_stage(1, "2025-10-01T10:00:00+05:00"));
  BOOST_TEST((monitor.handle(payload, 1).value() == Applied::Recorded));
  BOOST_TEST((second.handle(payload, 1).value() == Applied::Duplicate));
  BOOST_TEST((second.handle(test::stage_payload(at_stage(2, "2025-10-01T11:00:00+05:00")), 2).value() == Applied::Recorded));
  BOOST_TEST(only().history.size() == 2u);
  BOOST_TEST(store->last_sequence() == 2u);
}

BOOST_AUTO_TEST_CASE(the_position_survives_reopening) {
  apply(at_stage(1, "2025-10-01T10:00:00+05:00"));
  apply(at_stage(2, "2025-10-01T11:00:00+05:00"));
  store.reset();
  BOOST_TEST(store_under_test.open()->last_sequence() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
