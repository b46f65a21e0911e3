#include <httplib.h>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "kb_fixture.h"
#include "stage_messages.h"
#include "stagegate/knowledge_base/lookup_server.h"
#include "stagegate/knowledge_base/rate_limiter.h"

using namespace stagegate;
using namespace stagegate::knowledge_base;

namespace {

constexpr const char* kIin = "920315450126";
constexpr const char* kPath = "/api/v1/applications/002145678912";

// Captures std::clog for the life of the fixture, to check what the server logs.
struct ClogCapture {
  std::ostringstream captured;
  std::streambuf* previous = std::clog.rdbuf(captured.rdbuf());
  ~ClogCapture() { std::clog.rdbuf(previous); }
};

struct LookupFixture : test::KnowledgeBaseFixture {
  ClogCapture log;
  std::filesystem::path operators_file = dir / "kb-operators.conf";
  std::string token = OperatorRegistry::add(operators_file, "aigul");
  OperatorRegistry operators{operators_file};
  std::unique_ptr<LookupServer> server;

  LookupFixture() {
    test::StageFields fields;
    fields.reception = "2026-11-20T10:15:00+05:00";
    fields.stage = 2;
    fields.at = "2026-11-20T10:42:00+05:00";
    fields.planned = "2026-11-25";
    deliver(test::stage_payload(fields));
    start(60);
  }

  void start(int per_minute) {
    if (server) server->stop();
    LookupConfig config;
    config.port = 0;
    config.requests_per_minute = per_minute;
    config.today = [] { return monitoring::parse_date("2026-11-27"); };
    server = std::make_unique<LookupServer>(config, store, key, operators, calendar);
    server->start();
  }

  httplib::Result get(const std::string& path, const std::string& bearer) {
    httplib::Client client("127.0.0.1", server->port());
    client.set_connection_timeout(5);
    client.set_read_timeout(10);
    httplib::Headers headers;
    if (!bearer.empty()) headers.emplace("Authorization", "Bearer " + bearer);
    return client.Get(path, headers);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(knowledge_base_lookup, LookupFixture)

BOOST_AUTO_TEST_CASE(the_right_id_and_iin_get_the_stage_in_kazakh_and_russian) {
  const auto response = get(std::string(kPath) + "?iin=" + kIin, token);
  BOOST_REQUIRE(response);
  BOOST_TEST(response->status == 200);
  BOOST_TEST(response->get_header_value("Content-Type") == "application/json; charset=utf-8");
  const auto body = nlohmann::json::parse(response->body);
  BOOST_TEST(body["applicationId"] == "002145678912");
  BOOST_TEST(body["stage"]["code"] == 2);
  BOOST_TEST(body["stage"]["name"] == "SENT_FOR_EXECUTION");
  BOOST_TEST(body["stage"]["wording"]["kk"] == "орындауға жіберілді");
  BOOST_TEST(body["stage"]["wording"]["ru"] == "отправлено на исполнение");
  BOOST_TEST(body["stageAt"]["value"] == "2026-11-20T10:42:00+05:00");
  BOOST_TEST(body["stageAt"]["wording"]["ru"] == "Время стадии: 2026-11-20 10:42");
  BOOST_TEST(body["stageAt"]["wording"]["kk"] == "Кезең уақыты: 2026-11-20 10:42");
  BOOST_TEST(body["plannedDate"]["value"] == "2026-11-25");
  BOOST_TEST(body["plannedDate"]["wording"]["ru"] == "Плановая дата исполнения: 2026-11-25");
  BOOST_TEST(body["plannedDate"]["wording"]["kk"] == "Жоспарлы орындау күні: 2026-11-25");
  BOOST_TEST(body["overdue"]["late"] == true);  // open on the 27th, planned the 25th
  BOOST_TEST(body["overdue"]["workingDays"] == 2);
  BOOST_TEST(body["overdue"]["calendarDays"] == 2);
  BOOST_TEST(body["overdue"]["wording"]["ru"] == "Просрочено на 2 рабоч. дн. (2 календ. дн.)");
  BOOST_TEST(body["overdue"]["wording"]["kk"] == "Мерзімі 2 жұмыс күнге (2 күнтізбелік күнге) өтіп кетті");
  BOOST_TEST(!body.contains("outcome"));
  BOOST_TEST(response->body.find(kIin) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_wrong_iin_gets_the_same_404_as_an_unknown_id) {
  const auto wrong_iin = get(std::string(kPath) + "?iin=920315450127", token);
  const auto unknown_id = get(std::string("/api/v1/applications/999999999999?iin=") + kIin, token);
  BOOST_REQUIRE(wrong_iin);
  BOOST_REQUIRE(unknown_id);
  BOOST_TEST(wrong_iin->status == 404);
  BOOST_TEST(unknown_id->status == 404);
  BOOST_TEST(wrong_iin->body == unknown_id->body);
  BOOST_TEST(wrong_iin->body == "{\"error\":\"not found\"}");
  const auto no_iin = get(kPath, token);
  BOOST_REQUIRE(no_iin);
  BOOST_TEST(no_iin->status == 400);
}

BOOST_AUTO_TEST_CASE(without_a_valid_token_401) {
  for (const std::string& bearer : {std::string(), std::string("not-a-token"), token + "0"}) {
    const auto response = get(std::string(kPath) + "?iin=" + kIin, bearer);
    BOOST_REQUIRE(response);
    BOOST_TEST(response->status == 401);
    BOOST_TEST(response->get_header_value("WWW-Authenticate").find("Bearer") == 0u);
    BOOST_TEST(response->body.find("stage") == std::string::npos);
  }
  // An operator added while the server runs is known at once.
  const auto later = OperatorRegistry::add(operators_file, "marat");
  BOOST_TEST(get(std::string(kPath) + "?iin=" + kIin, later)->status == 200);
}

BOOST_AUTO_TEST_CASE(each_operator_is_rate_limited_with_retry_after) {
  start(3);
  const auto other = OperatorRegistry::add(operators_file, "dana");
  for (int i = 0; i < 3; ++i) BOOST_TEST(get(std::string(kPath) + "?iin=" + kIin, token)->status == 200);
  const auto limited = get(std::string(kPath) + "?iin=" + kIin, token);
  BOOST_REQUIRE(limited);
  BOOST_TEST(limited->status == 429);
  BOOST_TEST(limited->get_header_value("Retry-After") == "20");  // 3 a minute: one back every 20 s
  BOOST_TEST(get(std::string(kPath) + "?iin=" + kIin, other)->status == 200);  // another operator is not held back
}

BOOST_AUTO_TEST_CASE(logs_name_the_operator_and_status_never_the_iin) {
  get(std::string(kPath) + "?iin=" + kIin, token);
  get(std::string(kPath) + "?iin=920315450127", "wrong");
  const auto logged = log.captured.str();
  BOOST_TEST(logged.find("operator=\"aigul\"") != std::string::npos, logged);
  BOOST_TEST(logged.find("status=200") != std::string::npos, logged);
  BOOST_TEST(logged.find("status=401") != std::string::npos, logged);
  BOOST_TEST(logged.find("9203154501") == std::string::npos, logged);
  BOOST_TEST(logged.find(token) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_closed_application_tells_its_outcome_and_is_measured_to_its_execution) {
  test::StageFields fields;
  fields.reception = "2026-11-20T10:15:00+05:00";
  fields.stage = 6;
  fields.at = "2026-11-24T16:00:00+05:00";
  fields.planned = "2026-11-25";
  fields.execution = "2026-11-24T15:00:00+05:00";
  fields.outcome = "REFUSED";
  deliver(test::stage_payload(fields));
  const auto body = nlohmann::json::parse(get(std::string(kPath) + "?iin=" + kIin, token)->body);
  BOOST_TEST(body["stage"]["code"] == 6);
  BOOST_TEST(body["outcome"]["value"] == "REFUSED");
  BOOST_TEST(body["outcome"]["wording"]["ru"] == "в оказании услуги отказано");
  BOOST_TEST(body["overdue"]["late"] == false);
  BOOST_TEST(body["overdue"]["wording"]["ru"] == "Просрочки нет");
  BOOST_TEST(body["overdue"]["wording"]["kk"] == "Мерзім өткен жоқ");
}

BOOST_AUTO_TEST_CASE(token_buckets_refill_with_time) {
  RateLimiter limiter(60);
  const auto start = RateLimiter::Clock::now();
  for (int i = 0; i < 60; ++i) BOOST_TEST(!limiter.take("a", start).has_value());
  BOOST_TEST(limiter.take("a", start).value() == 1);
  BOOST_TEST(!limiter.take("a", start + std::chrono::seconds(1)).has_value());
  BOOST_TEST(limiter.take("a", start + std::chrono::seconds(1)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
