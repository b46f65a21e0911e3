#include <boost/test/unit_test.hpp>

#include "datetime.h"

using namespace stagegate::routing;

BOOST_AUTO_TEST_SUITE(datetime)

BOOST_AUTO_TEST_CASE(epoch_and_offsets) {
  BOOST_TEST(parse_datetime("1970-01-01T00:00:00Z")->utc_seconds == 0);
  BOOST_TEST(parse_datetime("1970-01-01T05:00:00+05:00")->utc_seconds == 0);
  BOOST_TEST(parse_datetime("2026-11-20T10:15:00.125+05:00")->utc_seconds ==
             parse_datetime("2026-11-20T05:15:00Z")->utc_seconds);
  BOOST_TEST(!parse_datetime("2026-11-20T10:15:00")->has_offset);
  BOOST_TEST(parse_date("2026-01-01")->utc_seconds == 1767225600);
}

BOOST_AUTO_TEST_CASE(calendar_is_checked) {
  BOOST_TEST(parse_date("2024-02-29").has_value());
  BOOST_TEST(!parse_date("2025-02-29").has_value());
  BOOST_TEST(!parse_date("2100-02-29").has_value());
  BOOST_TEST(parse_date("2000-02-29").has_value());
  BOOST_TEST(!parse_date("2026-04-31").has_value());
  BOOST_TEST(!parse_datetime("2026-11-20T24:00:00Z").has_value());
  BOOST_TEST(!parse_datetime("2026-11-20T10:60:00Z").has_value());
  BOOST_TEST(!parse_datetime("2026-11-20T10:15:00+15:00").has_value());
  BOOST_TEST(!parse_datetime("2026-11-20 10:15:00Z").has_value());
  BOOST_TEST(!parse_datetime("2026-11-20T10:15:00Zjunk").has_value());
  BOOST_TEST(!parse_datetime("2026-11-20T10:15:00.Z").has_value());
}

BOOST_AUTO_TEST_CASE(days_from_civil_matches_known_days) {
  BOOST_TEST(days_from_civil(1970, 1, 1) == 0);
  BOOST_TEST(days_from_civil(2000, 3, 1) == 11017);
  BOOST_TEST(days_from_civil(1969, 12, 31) == -1);
}

BOOST_AUTO_TEST_SUITE_END()
