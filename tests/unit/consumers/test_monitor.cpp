// The monitoring consumer's rules of issue 12, through Monitor::handle into the store under
// test (SQLite, and PostgreSQL under ctest's postgres fixture): the planned date is computed at
// reception and never moves; what providers declare is compared; entry delays; data findings;
// unknown planned dates with their reason; migration of a version 1 store.
#include <boost/test/unit_test.hpp>

#include "monitor_fixture.h"

using namespace stagegate;
using namespace stagegate::monitoring;

BOOST_FIXTURE_TEST_SUITE(monitoring_store, test::MonitorFixture)

BOOST_AUTO_TEST_CASE(a_new_year_reception_in_a_utc_evening_is_planned_from_the_local_date) {
  auto fields = at_stage(1, "2026-12-30T20:00:00Z");
  fields.reception = "2026-12-30T20:00:00Z";  // 01:00 on 31 December in Astana
  apply(fields);
  const auto application = only();
  BOOST_TEST(application.planned.date == "2027-01-12");
  BOOST_TEST(application.planned.source == "computed");
  BOOST_TEST(application.planned.computed == "2027-01-12");
  // Executed on the 12th in Astana, which is still the 11th in UTC at 20:30: on time.
  auto executed = at_stage(4, "2027-01-11T20:30:00Z");
  executed.reception = fields.reception;
  executed.execution = "2027-01-11T20:30:00Z";
  apply(executed);
  BOOST_TEST(!overdue_of(only(), parse_date("2027-02-01"), calendar).late());
}

BOOST_AUTO_TEST_CASE(the_planned_date_never_moves_on_later_messages) {
  apply(at_stage(1, "2025-10-01T10:00:00+05:00"));  // planned 2025-10-08
  auto later = at_stage(3, "2025-10-02T10:00:00+05:00");
  later.planned = "2025-10-20";
  later.reception = "2025-10-03T10:00:00+05:00";  // a different reception date, too
  BOOST_TEST((apply(later) == Applied::RecordedWithFinding));
  const auto application = only();
  BOOST_TEST(application.planned.date == "2025-10-08");
  BOOST_TEST(application.planned.computed == "2025-10-08");
  BOOST_TEST(application.reception_date == "2025-10-01T10:00:00+05:00");
  BOOST_REQUIRE_EQUAL(application.findings.size(), 1u);
  BOOST_TEST(application.findings[0].kind == kReceptionDateChanged);
}

BOOST_AUTO_TEST_CASE(a_provider_moving_its_date_later_is_flagged_and_changes_nothing) {
  auto first = at_stage(1, "2025-10-01T10:00:00+05:00");
  first.planned = "2025-10-08";  // agrees with the computed date
  apply(first);
  auto agreed = only();
  BOOST_TEST(!agreed.planned.disagrees);
  BOOST_TEST(!agreed.planned.moved_later);
  BOOST_TEST(agreed.planned.declared == "2025-10-08");

  auto moved = at_stage(2, "2025-10-01T11:00:00+05:00");
  moved.planned = "2025-10-15";
  apply(moved);
  auto moved_later = at_stage(3, "2025-10-02T11:00:00+05:00");
  moved_later.planned = "2025-10-10";  // back earlier: still flagged, the latest kept
  apply(moved_later);
  const auto application = only();
  BOOST_TEST(application.planned.date == "2025-10-08");
  BOOST_TEST(application.planned.declared == "2025-10-08");
  BOOST_TEST(application.planned.declared_latest == "2025-10-10");
  BOOST_TEST(application.planned.disagrees);
  BOOST_TEST(application.planned.moved_later);
  // Open and past the computed date: overdue, whatever the provider says.
  BOOST_TEST(overdue_of(application, parse_date("2025-10-10"), calendar).working_days == 2);
  const auto shown = describe(application, parse_date("2025-10-10"), calendar);
  BOOST_TEST(shown.find("planned      2025-10-08 (computed); provider declared 2025-10-08, later 2025-10-10, DISAGREES,"
                        " MOVED LATER") != std::string::npos,
             shown);
}

BOOST_AUTO_TEST_CASE(an_offset_qualified_planned_date_is_read_as_its_date) {
  auto fields = at_stage(1, "2025-10-01T10:00:00+05:00");
  fields.planned = "2025-10-08+05:00";
  apply(fields);
  BOOST_TEST(only().planned.declared == "2025-10-08");
  BOOST_TEST(!only().planned.disagrees);
}

BOOST_AUTO_TEST_CASE(unknown_planned_dates_say_why_and_warn_once_per_service_and_year) {
  auto unknown_service = at_stage(1, "2025-10-01T10:00:00+05:00");
  unknown_service.service_code = "Z99-99";
  apply(unknown_service);
  // The same application under service Z22-74: a finding, and the planned date stays unknown.
  BOOST_TEST((apply(at_stage(2, "2025-10-01T11:00:00+05:00")) == Applied::RecordedWithFinding));
  unknown_service.application_id = "002145678913";
  apply(unknown_service);
  auto year_2028 = at_stage(1, "2028-01-10T10:00:00+05:00");
  year_2028.application_id = "002145678914";
  year_2028.reception = "2028-01-10T10:00:00+05:00";
  apply(year_2028);
  year_2028.application_id = "002145678915";
  apply(year_2028);

  const auto application = only();
  BOOST_TEST(application.planned.date.empty());
  BOOST_TEST(application.planned.source == "unknown");
  BOOST_TEST(application.planned.unknown_reason == "service Z99-99 is not in the catalogue");
  BOOST_TEST(application.service_code == "Z99-99");
  BOOST_REQUIRE_EQUAL(application.findings.size(), 1u);
  BOOST_TEST(application.findings[0].kind == kServiceChanged);
  BOOST_TEST(only("002145678914").planned.unknown_reason == "the calendar does not cover 2028");
  BOOST_TEST(!overdue_of(application, parse_date("2026-01-01"), calendar).late());
  BOOST_TEST(describe(application, parse_date("2025-10-10"), calendar)
                 .find("planned      unknown: service Z99-99 is not in the catalogue") != std::string::npos);

  BOOST_REQUIRE_EQUAL(warnings.size(), 2u);
  BOOST_TEST(warnings[0].find("service Z99-99 is not in the catalogue") == 0u, warnings[0]);
  BOOST_TEST(warnings[1].find("the calendar does not cover 2028") == 0u, warnings[1]);

  const auto problems = store->with_problems();
  BOOST_REQUIRE_EQUAL(problems.size(), 4u);
  const auto listed = describe_problems(problems);
  BOOST_TEST(listed.find("002145678913  BIN 050140001238  Z99-99  planned date unknown: service Z99-99 is not in the catalogue") !=
                 std::string::npos,
             listed);
}

BOOST_AUTO_TEST_CASE(an_unknown_planned_date_is_filled_in_once_the_catalogue_has_the_service) {
  auto first = at_stage(1, "2025-10-01T10:00:00+05:00");
  first.service_code = "Z22-99";
  first.planned = "2025-10-09";
  apply(first);
  BOOST_TEST(only().planned.unknown_reason == "service Z22-99 is not in the catalogue");
  // The operator adds the service and restarts monitor.
  const auto extended = ServiceCatalogue::parse("Z22-99 5 working_days Новая услуга\n");
  Monitor restarted{*store, calendar, extended, [](const std::string&) {}};
  auto second = at_stage(2, "2025-10-01T11:00:00+05:00");
  second.service_code = "Z22-99";
  BOOST_REQUIRE(restarted.handle(test::stage_payload(second), ++sequence).ok());
  const auto application = only();
  BOOST_TEST(application.planned.date == "2025-10-08");  // from the reception, not from the 2nd message's day
  BOOST_TEST(application.planned.source == "computed");
  BOOST_TEST(application.planned.unknown_reason.empty());
  BOOST_TEST(application.planned.disagrees);  // the 2025-10-09 declared while it was unknown
  BOOST_TEST(application.planned.moved_later);
}

BOOST_AUTO_TEST_CASE(entry_delay_and_late_entry_of_every_stage) {
  auto received = at_stage(1, "2025-10-03T17:00:00+05:00");  // a Friday
  received.received_at = "2025-10-03T12:00:01.120Z";
  apply(received);
  auto sent = at_stage(2, "2025-10-03T17:30:00+05:00");
  sent.received_at = "2025-10-07T04:00:00.000Z";  // entered on Tuesday
  apply(sent);
  apply(at_stage(3, "2025-10-06T09:00:00+05:00"));  // journaled by an older gateway: no receivedAt
  const auto application = only();
  BOOST_REQUIRE_EQUAL(application.history.size(), 3u);
  BOOST_TEST(application.history[0].received_at == "2025-10-03T12:00:01.120Z");
  BOOST_TEST(application.history[0].entry_delay_working_days == 0);
  BOOST_TEST(!application.history[0].late_entry);
  BOOST_TEST(application.history[1].entry_delay_working_days == 2);
  BOOST_TEST(application.history[1].late_entry);
  BOOST_TEST(application.history[2].received_at.empty());
  BOOST_TEST(application.history[2].entry_delay_working_days == -1);
  BOOST_TEST(!application.history[2].late_entry);
  const auto shown = describe(application, parse_date("2025-10-10"), calendar);
  BOOST_TEST(shown.find("entered 2025-10-07T04:00:00.000Z (+2 working day(s), LATE ENTRY)") != std::string::npos, shown);
}

BOOST_AUTO_TEST_CASE(a_stage_after_closed_is_a_finding) {
  auto closed = at_stage(6, "2025-10-08T12:00:00+05:00");
  closed.execution = "2025-10-07T17:00:00+05:00";
  closed.outcome = "ISSUED";
  apply(closed);
  auto after = at_stage(5, "2025-10-09T09:00:00+05:00");
  after.received_at = "2025-10-09T04:00:00.000Z";
  BOOST_TEST((apply(after) == Applied::RecordedAfterClosed));
  const auto application = only();
  BOOST_REQUIRE_EQUAL(application.findings.size(), 1u);
  BOOST_TEST(application.findings[0].kind == kStageAfterClosed);
  BOOST_TEST(application.findings[0].stage == 5);
  BOOST_TEST(application.findings[0].at == "2025-10-09T09:00:00+05:00");
  BOOST_TEST(application.findings[0].received_at == "2025-10-09T04:00:00.000Z");
  BOOST_TEST(application.findings[0].sequence == 2u);
  BOOST_TEST(describe(application, parse_date("2025-10-10"), calendar).find("data findings\n  stage after CLOSED: stage 5") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_stage_going_backwards_is_a_finding_a_late_earlier_stage_is_not) {
  apply(at_stage(1, "2025-10-01T10:00:00+05:00"));
  apply(at_stage(3, "2025-10-02T09:00:00+05:00"));
  BOOST_TEST((apply(at_stage(2, "2025-10-01T15:30:00+05:00")) == Applied::Recorded));  // late, in its place
  BOOST_TEST(only().findings.empty());
  BOOST_TEST((apply(at_stage(2, "2025-10-02T12:00:00+05:00")) == Applied::RecordedWithFinding));  // after stage 3
  const auto application = only();
  BOOST_REQUIRE_EQUAL(application.history.size(), 4u);
  BOOST_TEST(application.history[1].code == 2);  // placed by time
  BOOST_TEST(application.history[3].code == 2);
  BOOST_REQUIRE_EQUAL(application.findings.size(), 1u);
  BOOST_TEST(application.findings[0].kind == kStageGoesBackwards);
  BOOST_TEST(application.findings[0].detail == "contradicts stage 3 at 2025-10-02T09:00:00+05:00");
  BOOST_TEST(application.latest_stage == 3);
}

BOOST_AUTO_TEST_CASE(a_version_1_store_opens_migrated) {
  store.reset();
  test::TempDir old_dir{"stagegate-monitoring-v1"};
  test::StoreUnderTest old_store{old_dir.path()};
  // The tables and rows as the previous version wrote them (no schema_version table).
  old_store.execute(
      "CREATE TABLE applications (provider_bin TEXT NOT NULL, application_id TEXT NOT NULL, service_code TEXT NOT NULL,"
      " service_name TEXT NOT NULL, provider_name TEXT NOT NULL, reception_date TEXT NOT NULL,"
      " planned_date TEXT NOT NULL, planned_source TEXT NOT NULL, computed_planned TEXT NOT NULL,"
      " planned_disagrees INTEGER NOT NULL, execution_date TEXT NOT NULL, outcome TEXT NOT NULL,"
      " delay_kind TEXT NOT NULL, delay_reason TEXT NOT NULL, latest_stage INTEGER NOT NULL,"
      " closed_at TEXT NOT NULL, PRIMARY KEY(provider_bin, application_id));"
      "CREATE INDEX applications_by_id ON applications(application_id);"
      "CREATE TABLE stages (provider_bin TEXT NOT NULL, application_id TEXT NOT NULL, code INTEGER NOT NULL,"
      " name TEXT NOT NULL, at TEXT NOT NULL, at_utc TEXT NOT NULL, sequence BIGINT NOT NULL, flag TEXT NOT NULL,"
      " PRIMARY KEY(provider_bin, application_id, code, at_utc));"
      "CREATE TABLE position (id INTEGER PRIMARY KEY CHECK (id = 1), sequence BIGINT NOT NULL);"
      "INSERT INTO position(id, sequence) VALUES (1, 3);"
      "INSERT INTO applications VALUES ('050140001238', '002145678912', 'Z22-74', 'Справка', 'Акимат',"
      " '2025-10-01T10:00:00+05:00', '2025-10-10', 'provider', '2025-10-08', 1, '2025-10-07T17:00:00+05:00', 'ISSUED',"
      " '', '', 6, '2025-10-08T07:00:00Z');"
      "INSERT INTO applications VALUES ('050140001238', '002145678913', 'Z99-99', 'Другое', 'Акимат',"
      " '2025-10-01T10:00:00+05:00', '', 'unknown', '', 0, '', '', '', '', 1, '');"
      "INSERT INTO stages VALUES ('050140001238', '002145678912', 6, 'CLOSED', '2025-10-08T12:00:00+05:00',"
      " '2025-10-08T07:00:00Z', 1, '');"
      "INSERT INTO stages VALUES ('050140001238', '002145678912', 5, 'AWAITING_ISSUANCE', '2025-10-09T09:00:00+05:00',"
      " '2025-10-09T04:00:00Z', 2, 'after CLOSED');");
  auto migrated = old_store.open();
  BOOST_TEST(migrated->last_sequence() == 3u);
  const auto found = migrated->find("002145678912");
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  const auto& application = found.front();
  BOOST_TEST(application.planned.date == "2025-10-08");  // the provider's date is no longer the one used
  BOOST_TEST(application.planned.source == "computed");
  BOOST_TEST(application.planned.declared == "2025-10-10");
  BOOST_TEST(application.planned.declared_latest == "2025-10-10");
  BOOST_TEST(application.planned.disagrees);
  BOOST_TEST(application.planned.moved_later);
  BOOST_REQUIRE_EQUAL(application.history.size(), 2u);
  BOOST_TEST(application.history[0].received_at.empty());
  BOOST_TEST(application.history[0].entry_delay_working_days == -1);
  BOOST_REQUIRE_EQUAL(application.findings.size(), 1u);
  BOOST_TEST(application.findings[0].kind == kStageAfterClosed);
  const auto unknown = migrated->find("002145678913");
  BOOST_REQUIRE_EQUAL(unknown.size(), 1u);
  BOOST_TEST(unknown.front().planned.unknown_reason.find("not computed when recorded") == 0u);

  // Writable at the new version, and opening it again changes nothing.
  Monitor on_migrated{*migrated, calendar, services, [](const std::string&) {}};
  auto next = at_stage(1, "2025-11-03T10:00:00+05:00");
  next.application_id = "002145678920";
  next.received_at = "2025-11-03T05:00:00.000Z";
  BOOST_TEST((on_migrated.handle(test::stage_payload(next), 4).value() == Applied::Recorded));
  migrated.reset();
  auto reopened = old_store.open();
  BOOST_TEST(reopened->find("002145678920").front().history.front().entry_delay_working_days == 0);
  BOOST_TEST(reopened->with_problems().size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
