#define BOOST_TEST_MODULE routing
#include <boost/test/unit_test.hpp>

#include <chrono>


#include "stagegate/routing/normalize.h"
#include "support/files.h"

using namespace stagegate;
using namespace stagegate::routing;

namespace {

std::string sample() { return test::read_text(std::string(STAGEGATE_SAMPLES) + "/stage.xml"); }

std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, "sample lacks " + from);
  return text.replace(at, from.size(), to);
}

std::string without_element(const std::string& text, const std::string& name) {
  const auto start = text.find("<" + name);
  const auto close = "</" + name + ">";
  auto end = text.find(close, start);
  end = end == std::string::npos ? text.find("/>", start) + 2 : end + close.size();
  std::string result = text;
  return result.erase(start, end - start);
}

// stage 2 sample moved to another stage with the fields that stage needs.
std::string at_stage(int stage, const std::string& extra) {
  return replaced(replaced(sample(), "<stage code=\"2\"", "<stage code=\"" + std::to_string(stage) + "\""),
                  "</StageNotification>", extra + "</StageNotification>");
}

void expect(const Result<StageEvent>& result, Code code, const std::string& reason_part) {
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST(result.refusal().code == code);
  BOOST_TEST(result.refusal().reason.find(reason_part) != std::string::npos, result.refusal().reason);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(stage_notification)

BOOST_AUTO_TEST_CASE(sample_normalizes_field_by_field) {
  const auto event = normalize_stage(sample());
  BOOST_REQUIRE_MESSAGE(event.ok(), (event.ok() ? std::string() : event.refusal().reason));
  BOOST_TEST(event->application_id == "002145678912");
  BOOST_TEST(event->service_code == "Z22-74");
  BOOST_TEST(event->service_name == "Выдача справки о наличии либо отсутствии судимости");
  BOOST_TEST(event->provider_bin == "050140001238");
  BOOST_TEST(event->recipient.iin == "920315450126");
  BOOST_TEST(event->recipient.bin.empty());
  BOOST_TEST(event->recipient.last_name == "Сейткали");
  BOOST_TEST(event->recipient.middle_name == "Нурлановна");
  BOOST_TEST(event->reception_place == "ЦОН Алмалинского района г. Алматы");
  BOOST_TEST(event->reception_date == "2026-11-20T10:15:00+05:00");
  BOOST_TEST(event->planned_date.value_or("") == "2026-11-25");
  BOOST_TEST(!event->execution_date.has_value());
  BOOST_TEST(static_cast<int>(event->stage) == 2);
  BOOST_TEST(event->stage_at == "2026-11-20T10:42:00+05:00");
  BOOST_TEST(!event->outcome.has_value());
}

BOOST_AUTO_TEST_CASE(json_is_versioned_and_complete) {
  const auto json = to_json(normalize_stage(sample()).value());
  BOOST_TEST(json.rfind("{\"schema\":\"stagegate.stage/1\",\"applicationId\":\"002145678912\"", 0) == 0u, json);
  BOOST_TEST(json.find("\"stage\":{\"code\":2,\"name\":\"SENT_FOR_EXECUTION\",\"at\":\"2026-11-20T10:42:00+05:00\"}") != std::string::npos);
  BOOST_TEST(json.find("\"recipient\":{\"iin\":\"920315450126\",\"lastName\":\"Сейткали\"") != std::string::npos);
  BOOST_TEST(json.find("outcome") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(prefixed_namespace_reads_the_same) {
  std::string prefixed = sample();
  for (std::size_t at = 0; (at = prefixed.find('<', at)) != std::string::npos; ++at) {
    if (prefixed[at + 1] == '?' || prefixed[at + 1] == '!') continue;
    prefixed.insert(prefixed[at + 1] == '/' ? at + 2 : at + 1, "s:");
  }
  prefixed = replaced(prefixed, "xmlns=\"urn:stagegate:stage:1\"", "xmlns:s=\"urn:stagegate:stage:1\"");
  // One receive time for both: receivedAt is in the JSON, and two calls to now() may differ.
  const auto received = std::chrono::system_clock::now();
  const auto event = normalize_stage(prefixed, received);
  BOOST_REQUIRE_MESSAGE(event.ok(), (event.ok() ? std::string() : event.refusal().reason));
  BOOST_TEST(to_json(event.value()) == to_json(normalize_stage(sample(), received).value()));
}

BOOST_AUTO_TEST_CASE(each_required_field_missing_is_schema_naming_it) {
  for (const std::string field : {"applicationId", "service", "provider", "recipient", "receptionPlace",
                                  "receptionDate", "stage", "executor"}) {
    BOOST_TEST_CONTEXT(field) { expect(normalize_stage(without_element(sample(), field)), Code::Schema, field); }
  }
  expect(normalize_stage(without_element(sample(), "lastName")), Code::Schema, "recipient/lastName: required");
  expect(normalize_stage(without_element(sample(), "iin")), Code::Schema, "recipient: exactly one of iin or bin");
}

BOOST_AUTO_TEST_CASE(wrong_root_or_namespace_is_schema) {
  expect(normalize_stage(replaced(sample(), "urn:stagegate:stage:1", "urn:other")), Code::Schema, "root");
  expect(normalize_stage("<ServiceInfo xmlns=\"urn:stagegate:stage:1\"/>"), Code::Schema, "root");
}

BOOST_AUTO_TEST_CASE(unknown_and_repeated_elements_are_schema) {
  expect(normalize_stage(replaced(sample(), "</StageNotification>", "<bonus/></StageNotification>")), Code::Schema, "bonus");
  expect(normalize_stage(replaced(sample(), "<receptionPlace>", "<receptionPlace>A</receptionPlace><receptionPlace>")),
         Code::Schema, "more than once");
}

BOOST_AUTO_TEST_CASE(signature_element_is_ignored) {
  const auto signed_like = replaced(sample(), "</StageNotification>",
                                    "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/></StageNotification>");
  BOOST_TEST(normalize_stage(signed_like).ok());
}

BOOST_AUTO_TEST_CASE(bad_check_digit_is_data_invalid_and_reason_has_no_digits_of_it) {
  const auto result = normalize_stage(replaced(sample(), "920315450126", "920315450127"));
  expect(result, Code::DataInvalid, "recipient/iin: check digit");
  BOOST_TEST(result.refusal().reason.find("92031545") == std::string::npos);
  expect(normalize_stage(replaced(sample(), "bin=\"050140001238\"", "bin=\"050140001239\"")), Code::DataInvalid,
         "provider/@bin");
}

BOOST_AUTO_TEST_CASE(impossible_dates_are_data_invalid) {
  expect(normalize_stage(replaced(sample(), "2026-11-20T10:15:00+05:00", "2026-02-30T10:15:00+05:00")),
         Code::DataInvalid, "receptionDate");
  expect(normalize_stage(replaced(sample(), "2026-11-20T10:15:00+05:00", "2026-11-20T25:15:00+05:00")),
         Code::DataInvalid, "receptionDate");
  expect(normalize_stage(replaced(sample(), "2026-11-25", "2026-13-01")), Code::DataInvalid, "plannedDate");
  expect(normalize_stage(replaced(sample(), "2026-11-20T10:15:00+05:00", "2026-11-20T10:15:00")), Code::DataInvalid,
         "offset");
}

BOOST_AUTO_TEST_CASE(stage_before_reception_is_data_invalid_even_across_offsets) {
  // 10:42+05:00 is 05:42Z; a reception at 06:00Z is after it.
  expect(normalize_stage(replaced(sample(), "2026-11-20T10:15:00+05:00", "2026-11-20T06:00:00Z")), Code::DataInvalid,
         "stage/@at: earlier than receptionDate");
  BOOST_TEST(normalize_stage(replaced(sample(), "2026-11-20T10:15:00+05:00", "2026-11-20T05:00:00Z")).ok());
}

BOOST_AUTO_TEST_CASE(stage_rules) {
  expect(normalize_stage(at_stage(4, "")), Code::Schema, "executionDate: required from stage 4");
  const std::string executed = "<executionDate>2026-11-21T16:00:00+05:00</executionDate>";
  BOOST_TEST(normalize_stage(replaced(at_stage(4, ""), "<stage ", executed + "<stage ")).ok());
  expect(normalize_stage(replaced(at_stage(6, ""), "<stage ", executed + "<stage ")), Code::Schema,
         "outcome: required at stage 6");
  const auto closed = normalize_stage(replaced(at_stage(6, "<outcome>REFUSED</outcome>"), "<stage ", executed + "<stage "));
  BOOST_REQUIRE_MESSAGE(closed.ok(), (closed.ok() ? std::string() : closed.refusal().reason));
  BOOST_TEST((closed->outcome == Outcome::Refused));
  expect(normalize_stage(at_stage(3, "<outcome>ISSUED</outcome>")), Code::DataInvalid, "outcome: only at stage 6");
  expect(normalize_stage(replaced(sample(), "code=\"2\"", "code=\"7\"")), Code::Schema, "stage/@code");
  expect(normalize_stage(without_element(replaced(sample(), "code=\"2\"", "code=\"2\""), "executor")), Code::Schema,
         "executor: required from stage 2");
  BOOST_TEST(normalize_stage(without_element(replaced(sample(), "code=\"2\"", "code=\"1\""), "executor")).ok());
}

BOOST_AUTO_TEST_CASE(delay_reason_is_kept_for_the_report) {
  const auto event = normalize_stage(at_stage(3, "<delayReason kind=\"TECHNICAL\">Сбой ИС</delayReason>"));
  BOOST_REQUIRE(event.ok());
  BOOST_TEST((event->delay_kind == DelayKind::Technical));
  BOOST_TEST(event->delay_reason == "Сбой ИС");
  BOOST_TEST(to_json(event.value()).find("\"delayReason\":{\"kind\":\"TECHNICAL\",\"text\":\"Сбой ИС\"}") != std::string::npos);
  expect(normalize_stage(at_stage(3, "<delayReason kind=\"LAZY\">x</delayReason>")), Code::Schema, "delayReason/@kind");
}

BOOST_AUTO_TEST_CASE(json_escapes_quotes_backslashes_and_control_characters) {
  const auto event = normalize_stage(replaced(sample(), "ЦОН Алмалинского района г. Алматы", "ЦОН \"Б\\1\"&#9;x&#10;y"));
  BOOST_REQUIRE(event.ok());
  BOOST_TEST(to_json(event.value()).find("\"receptionPlace\":\"ЦОН \\\"Б\\\\1\\\"\\tx\\ny\"") != std::string::npos,
             to_json(event.value()));
}

// The sample's stage is at 2026-11-20T10:42:00+05:00 = 05:42:00Z.
std::chrono::system_clock::time_point utc(std::int64_t days_from_epoch, int hours, int minutes) {
  return std::chrono::system_clock::time_point{std::chrono::hours(days_from_epoch * 24 + hours) +
                                               std::chrono::minutes(minutes)};
}
constexpr std::int64_t kNovember20 = 20777;  // 2026-11-20 in days since 1970-01-01

BOOST_AUTO_TEST_CASE(received_at_is_the_gateways_time_in_utc) {
  const auto event = normalize_stage(sample(), utc(kNovember20, 5, 43) + std::chrono::milliseconds(250));
  BOOST_REQUIRE(event.ok());
  BOOST_TEST(event->received_at == "2026-11-20T05:43:00.250Z");
  BOOST_TEST(to_json(event.value()).find(",\"receivedAt\":\"2026-11-20T05:43:00.250Z\"}") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(times_beyond_the_receipt_and_its_skew_are_data_invalid) {
  // Five minutes of skew are tolerated: received 05:37:00Z, stage at 05:42:00Z.
  BOOST_TEST(normalize_stage(sample(), utc(kNovember20, 5, 37)).ok());
  expect(normalize_stage(sample(), utc(kNovember20, 5, 36)), Code::DataInvalid,
         "stage/@at: later than the gateway's receipt");
  // receptionDate in the future is named first; executionDate alike.
  expect(normalize_stage(sample(), utc(kNovember20, 5, 0)), Code::DataInvalid, "receptionDate: later than");
  const std::string executed = "<executionDate>2026-11-21T09:00:00+05:00</executionDate>";
  const auto at_four = replaced(at_stage(4, ""), "<stage ", executed + "<stage ");
  BOOST_TEST(normalize_stage(at_four, utc(kNovember20 + 1, 4, 0)).ok());
  expect(normalize_stage(at_four, utc(kNovember20 + 1, 3, 0)), Code::DataInvalid, "executionDate: later than");
}

BOOST_AUTO_TEST_CASE(execution_before_reception_is_data_invalid) {
  const std::string executed = "<executionDate>2026-11-19T09:00:00+05:00</executionDate>";
  expect(normalize_stage(replaced(at_stage(4, ""), "<stage ", executed + "<stage ")), Code::DataInvalid,
         "executionDate: earlier than receptionDate");
}

BOOST_AUTO_TEST_CASE(planned_date_with_an_offset_is_normalized_to_its_date) {
  for (const std::string planned : {"2026-11-25+05:00", "2026-11-25Z", "2026-11-25-03:00"}) {
    BOOST_TEST_CONTEXT(planned) {
      const auto event = normalize_stage(replaced(sample(), "2026-11-25", planned));
      BOOST_REQUIRE(event.ok());
      BOOST_TEST(event->planned_date.value_or("") == "2026-11-25");
      BOOST_TEST(to_json(event.value()).find("\"plannedDate\":\"2026-11-25\",") != std::string::npos);
    }
  }
  expect(normalize_stage(replaced(sample(), "2026-11-25", "2026-11-25+15:00")), Code::DataInvalid, "plannedDate");
}

BOOST_AUTO_TEST_CASE(not_well_formed_is_malformed) {
  BOOST_TEST(normalize_stage("<StageNotification").refusal().code == Code::Malformed);
}

BOOST_AUTO_TEST_SUITE_END()
