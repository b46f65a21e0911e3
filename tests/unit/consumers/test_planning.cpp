// Local dates (Asia/Almaty from the tz database) and what they do to planned dates and entry
// delays: issue 12 points 1-3.
#include <boost/test/unit_test.hpp>

#include "stagegate/monitoring/local_time.h"
#include "stagegate/monitoring/planning.h"
#include "stagegate/monitoring/store.h"

using namespace stagegate::monitoring;

namespace {

const WorkingCalendar& shipped_calendar() {
  static const auto shipped = WorkingCalendar::load(std::string(STAGEGATE_MONITORING_DATA) + "/kz-calendar.conf");
  return shipped;
}

std::string local(const char* date_time) { return format_date(local_date_of(date_time)); }

TermEnd plan(const char* reception, int amount, TermUnit unit) {
  return plan_from_term(reception, ServiceTerm{"X", amount, unit, "x"}, shipped_calendar());
}

std::string planned(const char* reception, int amount, TermUnit unit) {
  const auto end = plan(reception, amount, unit);
  BOOST_REQUIRE_MESSAGE(end.date.has_value(), end.unknown_reason);
  return format_date(*end.date);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(local_dates)

BOOST_AUTO_TEST_CASE(the_zone_is_asia_almaty_by_default) {
  BOOST_TEST(std::string(kDefaultTimeZone) == "Asia/Almaty");
  BOOST_TEST(local_time_zone() == "Asia/Almaty");
}

BOOST_AUTO_TEST_CASE(a_utc_evening_is_the_next_day_in_kazakhstan) {
  BOOST_TEST(local("2026-12-30T20:00:00Z") == "2026-12-31");  // 01:00 on the 31st in Astana
  BOOST_TEST(local("2025-10-01T18:59:59Z") == "2025-10-01");  // 23:59:59 local
  BOOST_TEST(local("2025-10-01T19:00:00Z") == "2025-10-02");
  BOOST_TEST(local("2025-10-01T19:00:00.250Z") == "2025-10-02");  // the gateway's receivedAt format
  BOOST_TEST(local("2025-10-02T00:30:00+06:00") == "2025-10-01");  // 23:30 the day before in UTC+5
  BOOST_TEST(local("2025-10-01T10:00:00") == "2025-10-01");        // no offset: local wall time
}

BOOST_AUTO_TEST_CASE(the_offset_comes_from_the_tz_database_not_a_constant) {
  // Almaty was UTC+6 until 1 March 2024 (tzdata 2024a): 18:30Z on 20 February 2024 was already
  // 00:30 on the 21st there; the same time of day a year later is still the evening before.
  BOOST_TEST(local("2024-02-20T18:30:00Z") == "2024-02-21");
  BOOST_TEST(local("2025-02-20T18:30:00Z") == "2025-02-20");
}

BOOST_AUTO_TEST_CASE(unreadable_times_and_unknown_zones_are_refused) {
  BOOST_TEST(!instant_of("2025-10-01").has_value());
  BOOST_TEST(!instant_of("2025-10-01T10:00:00+5").has_value());
  BOOST_TEST(!instant_of("2025-02-30T10:00:00Z").has_value());
  BOOST_CHECK_THROW(local_date_of("yesterday"), std::invalid_argument);
  BOOST_CHECK_THROW(set_local_time_zone("Asia/Nowhere"), std::runtime_error);
  BOOST_TEST(local_time_zone() == "Asia/Almaty");  // a refused zone leaves the one in use
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(planned_dates_in_local_time)

BOOST_AUTO_TEST_CASE(new_year_reception_in_a_utc_evening_counts_from_the_31st) {
  // Local 31 Dec 2026: Jan 1 (Fri) and 2 (Sat) New Year, the 2nd moved to Mon Jan 4; Jan 5 (1),
  // 6 (2), 7 Orthodox Christmas, 8 (3), 11 (4), 12 (5). Counting from the UTC date (the 30th)
  // would give the 11th, a working day early.
  BOOST_TEST(planned("2026-12-30T20:00:00Z", 5, TermUnit::WorkingDays) == "2027-01-12");
  BOOST_TEST(planned("2026-12-30T17:00:00Z", 5, TermUnit::WorkingDays) == "2027-01-11");  // 22:00 on the 30th
}

BOOST_AUTO_TEST_CASE(a_transfer_day_off_and_its_worked_sunday) {
  // 2025: Fri Jan 3 off by transfer, Sun Jan 5 worked instead. Received on the holiday Jan 2.
  BOOST_TEST(planned("2025-01-02T10:00:00+05:00", 1, TermUnit::WorkingDays) == "2025-01-05");
  BOOST_TEST(planned("2025-01-02T10:00:00+05:00", 2, TermUnit::WorkingDays) == "2025-01-06");
  BOOST_TEST(shipped_calendar().day_off_reason(parse_date("2025-01-03")).find("transferred") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(hours_end_on_the_local_clock) {
  // 20:00Z is 01:00 local on the 2nd; 48 hours later it is 01:00 on the 4th.
  BOOST_TEST(planned("2025-10-01T20:00:00Z", 48, TermUnit::Hours) == "2025-10-04");
}

BOOST_AUTO_TEST_CASE(a_year_the_calendar_does_not_cover_is_named) {
  const auto received_outside = plan("2028-02-10T10:00:00+05:00", 5, TermUnit::WorkingDays);
  BOOST_TEST(!received_outside.date.has_value());
  BOOST_TEST(received_outside.unknown_reason == "the calendar does not cover 2028");
  const auto ending_outside = plan("2027-12-29T10:00:00+05:00", 5, TermUnit::WorkingDays);
  BOOST_TEST(!ending_outside.date.has_value());
  BOOST_TEST(ending_outside.unknown_reason == "the calendar does not cover 2028");
  BOOST_TEST(plan("soon", 5, TermUnit::WorkingDays).unknown_reason == "reception date soon is not an xsd:dateTime");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(entry_delays)

BOOST_AUTO_TEST_CASE(working_days_between_the_event_and_its_entry) {
  const auto& calendar = shipped_calendar();
  // Friday 3 October 2025, 17:00 local.
  const char* friday = "2025-10-03T17:00:00+05:00";
  BOOST_TEST(entry_delay_working_days(friday, "2025-10-03T12:05:00.000Z", calendar).value() == 0);
  BOOST_TEST(entry_delay_working_days(friday, "2025-10-04T20:00:00.000Z", calendar).value() == 0);  // Sunday 01:00 local
  BOOST_TEST(entry_delay_working_days(friday, "2025-10-05T20:00:00.000Z", calendar).value() == 1);  // Monday 01:00 local
  BOOST_TEST(entry_delay_working_days(friday, "2025-10-06T04:00:00.000Z", calendar).value() == 1);  // Monday
  BOOST_TEST(entry_delay_working_days(friday, "2025-10-07T04:00:00.000Z", calendar).value() == 2);  // Tuesday: late
  BOOST_TEST(kLateEntryAfterWorkingDays == 1);
  BOOST_TEST(!entry_delay_working_days(friday, "", calendar).has_value());
  BOOST_TEST(!entry_delay_working_days("2029-01-09T10:00:00+05:00", "2029-01-10T10:00:00Z", calendar).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
