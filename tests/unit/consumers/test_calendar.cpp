#define BOOST_TEST_MODULE monitoring
#include <boost/test/unit_test.hpp>

#include "stagegate/monitoring/calendar.h"
#include "stagegate/monitoring/planning.h"

using namespace stagegate::monitoring;

namespace {

const WorkingCalendar& calendar() {
  static const auto shipped = WorkingCalendar::load(std::string(STAGEGATE_MONITORING_DATA) + "/kz-calendar.conf");
  return shipped;
}

bool off(const char* day) { return !calendar().is_working_day(parse_date(day)); }

std::string planned(const char* reception, int amount, TermUnit unit) {
  const auto date = compute_planned_date(reception, ServiceTerm{"X", amount, unit, "x"}, calendar());
  BOOST_REQUIRE(date.has_value());
  return format_date(*date);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(calendar_from_published_decrees)

BOOST_AUTO_TEST_CASE(holidays_on_weekends_in_2025_moved_to_the_next_working_days) {
  // Mar 8 (Sat) -> Mar 10; Nauryz Mar 22-23 (Sat, Sun) -> Mar 24-25; Jul 6 (Sun) -> Jul 7;
  // Oct 25 (Sat) -> Oct 27.
  for (const char* day : {"2025-03-10", "2025-03-24", "2025-03-25", "2025-07-07", "2025-10-27"})
    BOOST_TEST(off(day), day);
  BOOST_TEST(calendar().day_off_reason(parse_date("2025-03-25")).find("moved from 2025-03-23") != std::string::npos,
             calendar().day_off_reason(parse_date("2025-03-25")));
  BOOST_TEST(off("2025-03-21"));   // Nauryz on a Friday
  BOOST_TEST(!off("2025-03-26"));  // the Wednesday after is a working day
}

BOOST_AUTO_TEST_CASE(ministry_transfers_of_2024_and_2025) {
  BOOST_TEST(off("2024-05-08"));   // Wednesday off ...
  BOOST_TEST(!off("2024-05-04"));  // ... Saturday worked instead
  BOOST_TEST(off("2025-01-03"));
  BOOST_TEST(!off("2025-01-05"));
  BOOST_TEST(!off("2025-05-08"));  // no transfer in 2025
}

BOOST_AUTO_TEST_CASE(christmas_and_kurban_ait_never_move) {
  BOOST_TEST(off("2024-01-07"));   // a Sunday
  BOOST_TEST(!off("2024-01-08"));  // not moved to Monday
  BOOST_TEST(off("2024-06-16"));   // Kurban Ait, a Sunday
  BOOST_TEST(!off("2024-06-17"));
  BOOST_TEST(off("2026-05-27"));   // Kurban Ait on a Wednesday
}

BOOST_AUTO_TEST_CASE(new_year_on_a_weekend_moves_both_days) {
  // 2027: Jan 1 Friday, Jan 2 Saturday -> Monday Jan 4.
  BOOST_TEST(off("2027-01-01"));
  BOOST_TEST(off("2027-01-04"));
  BOOST_TEST(!off("2027-01-05"));
}

BOOST_AUTO_TEST_CASE(bad_line_names_file_and_line) {
  try {
    WorkingCalendar::parse("covers 2024 2025\nholiday 13-01 nothing\n", "test.conf");
    BOOST_FAIL("expected an error");
  } catch (const std::runtime_error& error) {
    BOOST_TEST(std::string(error.what()).find("test.conf:2") != std::string::npos, error.what());
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(planned_dates)

BOOST_AUTO_TEST_CASE(working_days_across_new_year) {
  // Dec 31 (1), Jan 1-2 holidays, Jan 3-4 weekend, Jan 5 (2), Jan 6 (3), Jan 7 Christmas, Jan 8 (4), Jan 9 (5).
  BOOST_TEST(planned("2025-12-30T17:40:00+05:00", 5, TermUnit::WorkingDays) == "2026-01-09");
}

BOOST_AUTO_TEST_CASE(working_days_across_nauryz) {
  // Mar 20 (1), 21 Nauryz, 22-23 weekend, 24-25 moved, 26 (2), 27 (3), 28 (4), 31 (5).
  BOOST_TEST(planned("2025-03-19T09:00:00+05:00", 5, TermUnit::WorkingDays) == "2025-03-31");
}

BOOST_AUTO_TEST_CASE(a_transferred_working_saturday_counts) {
  BOOST_TEST(planned("2024-05-02T11:00:00+05:00", 3, TermUnit::WorkingDays) == "2024-05-06");
}

BOOST_AUTO_TEST_CASE(calendar_days_ending_on_a_day_off_end_on_the_next_working_day) {
  BOOST_TEST(planned("2025-03-12T10:00:00+05:00", 10, TermUnit::CalendarDays) == "2025-03-26");
  BOOST_TEST(planned("2026-11-02T10:00:00+05:00", 10, TermUnit::CalendarDays) == "2026-11-12");
}

BOOST_AUTO_TEST_CASE(hours_count_on_the_clock) {
  BOOST_TEST(planned("2026-11-20T10:15:00+05:00", 48, TermUnit::Hours) == "2026-11-22");
  BOOST_TEST(planned("2026-11-20T23:30:00+05:00", 1, TermUnit::Hours) == "2026-11-21");
}

BOOST_AUTO_TEST_CASE(outside_the_calendar_there_is_no_planned_date) {
  BOOST_TEST(!compute_planned_date("2031-01-10T10:00:00+05:00", ServiceTerm{"X", 5, TermUnit::WorkingDays, "x"},
                                   calendar()).has_value());
}

BOOST_AUTO_TEST_CASE(overdue_in_working_and_calendar_days) {
  const auto overdue = overdue_between(parse_date("2025-03-20"), parse_date("2025-03-27"), calendar());
  BOOST_TEST(overdue.calendar_days == 7);
  BOOST_TEST(overdue.working_days == 2);  // Mar 26 and 27; 21-25 are days off
  BOOST_TEST(!overdue_between(parse_date("2025-03-20"), parse_date("2025-03-20"), calendar()).late());
}

BOOST_AUTO_TEST_SUITE_END()
