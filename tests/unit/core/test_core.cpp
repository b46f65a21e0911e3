#define BOOST_TEST_MODULE core
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "stagegate/core/clock.h"
#include "stagegate/core/log_field.h"
#include "stagegate/core/result.h"

using namespace stagegate;

BOOST_AUTO_TEST_CASE(contract_codes_are_spelled_as_in_the_contract) {
  BOOST_TEST(contract_code(Code::SenderAuth) == "SENDER_AUTH");
  BOOST_TEST(contract_code(Code::SignerNotAuthorized) == "SIGNER_NOT_AUTHORIZED");
  BOOST_TEST(contract_code(Code::Overloaded) == "OVERLOADED");
}

BOOST_AUTO_TEST_CASE(result_carries_value_or_refusal) {
  Result<int> good = 7;
  BOOST_TEST(good.ok());
  BOOST_TEST(good.value() == 7);
  Result<int> bad = refuse(Code::Schema, "applicationId: required");
  BOOST_TEST(!bad.ok());
  BOOST_TEST(bad.refusal().reason == "applicationId: required");
}

BOOST_AUTO_TEST_CASE(utc_time_is_xsd_datetime) {
  const auto epoch_plus = std::chrono::system_clock::time_point{} + std::chrono::milliseconds(1234);
  BOOST_TEST(format_utc(epoch_plus) == "1970-01-01T00:00:01.234Z");
}

BOOST_AUTO_TEST_CASE(utc_time_matches_gmtime_across_calendars) {
  using namespace std::chrono;
  const auto reference = [](system_clock::time_point when) {
    const auto millis = duration_cast<milliseconds>(when.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[64];
    const auto length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    const auto fraction = std::to_string(1000 + millis % 1000);  // "1xyz": three digits after the 1
    return std::string(text, length) + "." + fraction.substr(1) + "Z";
  };
  // Leap days, month and year ends, 2100 (not a leap year), 2262 (system_clock counts
  // nanoseconds in 64 bits: the last year it holds).
  std::vector<system_clock::time_point> points{
      sys_days{2024y / February / 29} + 23h + 59min + 59s + 999ms, sys_days{2026y / December / 31} + 23h + 59min + 59s + 999ms,
      sys_days{2027y / January / 1}, sys_days{2100y / February / 28} + 12h, sys_days{2100y / March / 1},
      sys_days{2000y / February / 29} + 1ms, sys_days{2262y / January / 1} + 23h + 59min + 59s + 999ms,
      system_clock::time_point{} + microseconds(999)};
  std::mt19937_64 random(5);
  std::uniform_int_distribution<std::int64_t> millis(0, 9'200'000'000'000);  // through 2261
  for (int i = 0; i < 100000; ++i) points.push_back(system_clock::time_point{} + milliseconds(millis(random)));
  for (const auto& point : points) BOOST_REQUIRE_EQUAL(format_utc(point), reference(point));
}

BOOST_AUTO_TEST_CASE(log_fields_cannot_forge_lines_or_pairs) {
  BOOST_TEST(log_field("dev-provider") == "\"dev-provider\"");
  // A senderId carrying a forged log line stays on one line, inside its quotes.
  BOOST_TEST(log_field("x\n2026-11-23T00:00:00Z accepted seq=1 sender=\"other\"") ==
             "\"x\\n2026-11-23T00:00:00Z accepted seq=1 sender=\\\"other\\\"\"");
  BOOST_TEST(log_field("a\rb\tc\\d") == "\"a\\rb\\tc\\\\d\"");
  BOOST_TEST(log_field(std::string("\x1b[2J\x7f\0", 6)) == "\"\\x1b[2J\\x7f\\x00\"");
}

BOOST_AUTO_TEST_CASE(log_fields_keep_kazakh_and_russian_text_and_escape_the_rest) {
  BOOST_TEST(log_field("Қазақстан Россия") == "\"Қазақстан Россия\"");
  BOOST_TEST(log_field("\xc2\x85") == "\"\\xc2\\x85\"");            // C1 NEXT LINE
  BOOST_TEST(log_field("\xe2\x80\xa8") == "\"\\xe2\\x80\\xa8\"");   // U+2028 LINE SEPARATOR
  BOOST_TEST(log_field("\xff\xd0") == "\"\\xff\\xd0\"");            // not UTF-8
  BOOST_TEST(log_field("\xc0\xaf") == "\"\\xc0\\xaf\"");            // overlong '/'
}

BOOST_AUTO_TEST_CASE(log_fields_are_cut_with_a_marker) {
  BOOST_TEST(log_field(std::string(300, 'a'), 256) == "\"" + std::string(256, 'a') + "...(+44 bytes)\"");
}
