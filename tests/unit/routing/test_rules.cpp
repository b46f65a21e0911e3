#include <boost/test/unit_test.hpp>

#include <fstream>

#include <nlohmann/json.hpp>

#include "stagegate/routing/normalize.h"
#include "stagegate/routing/rules.h"
#include "support/files.h"

using namespace stagegate;
using namespace stagegate::routing;

namespace {

std::string sample_stage_json() {
  auto event = normalize_stage(test::read_text(std::string(STAGEGATE_SAMPLES) + "/stage.xml"));
  BOOST_REQUIRE(event.ok());
  return to_json(event.value());
}

RoutingKey stage_key(Stage stage = Stage::SentForExecution, std::string provider = "050140001238") {
  return RoutingKey{"STAGE_NOTIFICATION", "Z22-74", stage, std::move(provider)};
}

const RoutedPayload* find(const std::vector<RoutedPayload>& routed, const std::string& destination) {
  for (const auto& payload : routed)
    if (payload.destination == destination) return &payload;
  return nullptr;
}

std::string error_of(const std::string& text) {
  try {
    RoutingRules::parse(text, "rules.toml");
  } catch (const RulesError& error) {
    return error.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rules)

BOOST_AUTO_TEST_CASE(defaults_send_stages_to_all_three_with_the_fields_each_may_see) {
  const auto rules = RoutingRules::defaults();
  const auto whole = sample_stage_json();
  const auto routed = rules.route(stage_key(), whole);
  BOOST_REQUIRE(routed.size() == 3u);
  BOOST_TEST(routed[0].destination == "knowledge_base");  // in name order
  BOOST_TEST(find(routed, "monitoring")->payload == whole);

  const auto kb = nlohmann::json::parse(find(routed, "knowledge_base")->payload);
  BOOST_TEST(kb.at("schema") == "stagegate.stage/1");
  BOOST_TEST(kb.at("applicationId") == nlohmann::json::parse(whole).at("applicationId"));
  BOOST_TEST(!kb.at("recipient").contains("lastName"));
  BOOST_TEST(!kb.at("recipient").contains("firstName"));
  BOOST_TEST(!kb.at("recipient").contains("middleName"));
  BOOST_TEST(kb.at("recipient").contains("iin"));
  BOOST_TEST(whole.find(kb.at("provider").at("name").get<std::string>()) != std::string::npos);

  const auto notification = nlohmann::json::parse(find(routed, "notification")->payload);
  BOOST_TEST(notification.at("recipient").contains("lastName"));
  BOOST_TEST(notification.at("provider").size() == 1u);  // the name, not the BIN
  BOOST_TEST(notification.at("provider").contains("name"));
  BOOST_TEST(!notification.contains("executor"));
  BOOST_TEST(!notification.contains("receptionDate"));
  BOOST_TEST(notification.at("stage").at("code") == 2);
}

BOOST_AUTO_TEST_CASE(defaults_send_service_information_to_the_knowledge_base_only) {
  const auto routed = RoutingRules::defaults().route(RoutingKey{"SERVICE_INFO", "Z22-74", std::nullopt, "050140001238"},
                                                     "{\"schema\":\"stagegate.kb/1\"}");
  BOOST_REQUIRE(routed.size() == 1u);
  BOOST_TEST(routed.front().destination == "knowledge_base");
}

BOOST_AUTO_TEST_CASE(routes_match_on_service_code_stage_and_provider) {
  const auto rules = RoutingRules::parse(R"(
format = 1
[destinations.all]
fields = ["*"]
[destinations.closing]
fields = ["applicationId", "stage.code"]
[[routes]]
to = ["all"]
[[routes]]
to = ["closing"]
service_codes = ["Z22-74"]
stages = ["EXECUTED", 6]
providers = ["050140001238"]
)", "test");
  BOOST_TEST(rules.destinations() == (std::vector<std::string>{"all", "closing"}));
  const auto whole = sample_stage_json();
  BOOST_TEST(rules.route(stage_key(Stage::SentForExecution), whole).size() == 1u);
  BOOST_TEST(rules.route(stage_key(Stage::Closed), whole).size() == 2u);
  BOOST_TEST(rules.route(stage_key(Stage::Executed), whole).size() == 2u);
  BOOST_TEST(rules.route(stage_key(Stage::Closed, "000740000728"), whole).size() == 1u);
  auto other_service = stage_key(Stage::Closed);
  other_service.service_code = "Z11-01";
  BOOST_TEST(rules.route(other_service, whole).size() == 1u);
  auto no_stage = stage_key();
  no_stage.stage.reset();
  BOOST_TEST(rules.route(no_stage, whole).size() == 1u);

  const auto closing = nlohmann::json::parse(find(rules.route(stage_key(Stage::Closed), whole), "closing")->payload);
  BOOST_TEST(closing.size() == 3u);  // schema, applicationId, stage
  BOOST_TEST(closing.at("stage").size() == 1u);
}

// The gateway writes reduced copies from the value; they must say what projecting the whole
// JSON says, field for field, for every kind of rule (whole objects hidden, parts shown).
BOOST_AUTO_TEST_CASE(copies_written_from_the_value_equal_the_projected_whole_json) {
  const auto rules = RoutingRules::parse(R"(
format = 1
[destinations.all]
fields = ["*"]
[destinations.names_hidden]
fields = ["*"]
hide = ["recipient.lastName", "recipient.firstName", "recipient.middleName"]
[destinations.no_recipient]
fields = ["*"]
hide = ["recipient", "stage.at"]
[destinations.few]
fields = ["applicationId", "provider.name", "stage", "plannedDate", "outcome"]
[destinations.nothing_of_objects]
fields = ["applicationId", "delayReason.text"]
[[routes]]
to = ["all", "names_hidden", "no_recipient", "few", "nothing_of_objects"]
)", "test");
  auto event = normalize_stage(test::read_text(std::string(STAGEGATE_SAMPLES) + "/stage.xml"));
  BOOST_REQUIRE(event.ok());
  const auto whole = to_json(event.value());
  const auto projected = rules.route(stage_key(), whole);
  const auto written = rules.route(stage_key(), whole, [&](const FieldFilter& keep) { return to_json(event.value(), keep); });
  BOOST_REQUIRE(projected.size() == 5u);
  BOOST_REQUIRE(written.size() == 5u);
  for (std::size_t i = 0; i < projected.size(); ++i) {
    BOOST_TEST(written[i].destination == projected[i].destination);
    BOOST_TEST(nlohmann::ordered_json::parse(written[i].payload) == nlohmann::ordered_json::parse(projected[i].payload),
               written[i].destination << ": " << written[i].payload << " vs " << projected[i].payload);
  }
  BOOST_TEST(find(written, "all")->payload == whole);
  BOOST_TEST(nlohmann::json::parse(find(written, "nothing_of_objects")->payload).size() == 2u);  // schema, applicationId
}

BOOST_AUTO_TEST_CASE(a_message_no_route_matches_goes_nowhere) {
  const auto rules = RoutingRules::parse(
      "format = 1\n[destinations.kb]\nfields = [\"*\"]\n[[routes]]\nto = [\"kb\"]\nservice_ids = [\"SERVICE_INFO\"]\n", "t");
  BOOST_TEST(rules.route(stage_key(), sample_stage_json()).empty());
}

BOOST_AUTO_TEST_CASE(mistakes_are_reported_with_their_position) {
  const std::string head = "format = 1\n[destinations.kb]\nfields = [\"*\"]\n";
  BOOST_TEST(error_of(head + "[[routes]]\nto = [\"kb\"]\n").empty());
  BOOST_TEST(error_of(head + "[[routes]]\nto = [\"monitoring\"]\n") ==
             "rules.toml:5:7: route to undeclared destination 'monitoring'");
  BOOST_TEST(error_of(head + "[[routes]]\nto = [\"kb\"]\nstage = [\"CLOSED\"]\n") ==
             "rules.toml:6:1: unknown key 'stage' in [[routes]]");
  BOOST_TEST(error_of(head + "[[routes]]\nto = [\"kb\"]\nstages = [\"DONE\"]\n") ==
             "rules.toml:6:11: stages takes RECEIVED ... CLOSED or codes 1-6");
  BOOST_TEST(error_of(head + "[[routes]]\nto = [\"kb\"]\nproviders = [\"050140001230\"]\n") ==
             "rules.toml:6:14: providers takes BINs (12 digits with a valid check digit): '050140001230'");
  BOOST_TEST(error_of(head + "[[routes]]\nto = [\"kb\"]\nservice_ids = [\"STAGE\"]\n") ==
             "rules.toml:6:16: unknown serviceId 'STAGE' (STAGE_NOTIFICATION or SERVICE_INFO)");
  BOOST_TEST(error_of("format = 1\n[destinations.kb]\nfields = [\"recipient.surname\"]\n[[routes]]\nto = [\"kb\"]\n") ==
             "rules.toml:3:11: unknown field 'recipient.surname' (see docs/messages.md)");
  BOOST_TEST(error_of("format = 1\n[destinations.kb]\nhide = [\"recipient\"]\n[[routes]]\nto = [\"kb\"]\n") ==
             "rules.toml:2:1: destinations.kb needs fields (\"*\" for everything)");
  BOOST_TEST(error_of("format = 2\n" + head.substr(11) + "[[routes]]\nto = [\"kb\"]\n").find("format = 1 is required") !=
             std::string::npos);
  BOOST_TEST(error_of(head + "[[routes]\n").find("rules.toml:4:") == 0u);  // TOML syntax, from toml++
  BOOST_TEST(error_of(head).find("[[routes]] entries are required") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(load_reads_a_file_and_names_it_in_errors) {
  BOOST_CHECK_THROW(RoutingRules::load("/nonexistent/routes.toml"), RulesError);
  const auto path = std::filesystem::temp_directory_path() / "stagegate-test-routes.toml";
  std::ofstream(path) << RoutingRules::default_text();
  BOOST_TEST(RoutingRules::load(path).destinations().size() == 3u);
  std::filesystem::remove(path);
}

BOOST_AUTO_TEST_SUITE_END()
