#define BOOST_TEST_MODULE kb_end_to_end
// The knowledge-base consumer behind a real gateway: signed SERVICE_INFO and stage messages
// posted over SOAP, journaled, delivered over ZeroMQ to the named consumer `knowledge_base`,
// stored, and looked up over HTTP by an operator.
#include <httplib.h>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "integration/gateway_fixture.h"
#include "stagegate/knowledge_base/knowledge_base.h"
#include "stagegate/knowledge_base/lookup_server.h"

using namespace stagegate;
using namespace std::chrono_literals;
namespace kb = stagegate::knowledge_base;

namespace {

struct KnowledgeBaseBehindGateway : test::GatewayFixture {
  monitoring::WorkingCalendar calendar =
      monitoring::WorkingCalendar::load(std::string(STAGEGATE_MONITORING_DATA) + "/kz-calendar.conf");
  monitoring::ServiceCatalogue services =
      monitoring::ServiceCatalogue::load(std::string(STAGEGATE_MONITORING_DATA) + "/services.conf");
  kb::RecipientKey key = kb::RecipientKey::load_or_create(dir / "kb-secret");
  std::unique_ptr<kb::KnowledgeStore> opened_store = kb::open_sqlite_knowledge_store(dir / "knowledge_base.db");
  kb::KnowledgeStore& store = *opened_store;
  kb::KnowledgeBase knowledge_base{store, key, calendar, services};

  // As `stagegate kb consume` subscribes.
  bus::Subscriber consumer() {
    auto config = consumer_config("knowledge_base");
    config.processed = store.last_sequence();
    bus::Subscriber subscriber(config);
    if (!subscriber.wait_ready(10s)) throw std::runtime_error("the knowledge base consumer never got the welcome");
    return subscriber;
  }

  // Consumes until `stored` messages were stored (or 20 s passed); returns how many were.
  int consume(bus::Subscriber& subscriber, int stored) {
    int count = 0;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (count < stored && std::chrono::steady_clock::now() < deadline)
      count += kb::consume_one(subscriber, knowledge_base, 200ms) == kb::Consumed::Stored;
    return count;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(kb_end_to_end, KnowledgeBaseBehindGateway)

BOOST_AUTO_TEST_CASE(service_information_and_stages_reach_the_knowledge_base_and_the_operator_lookup) {
  auto subscriber = consumer();
  const auto info = test::read_text(std::filesystem::path(STAGEGATE_SAMPLES) / "service-info.xml");
  BOOST_REQUIRE(post(sign(info), "SERVICE_INFO").status_code == "SCSS001");
  const auto stage = post(sign(test::sample_stage()));
  BOOST_REQUIRE(stage.status_code == "SCSS001");
  BOOST_REQUIRE_EQUAL(consume(subscriber, 2), 2);

  const auto forms = store.service_history("Z22-74");
  BOOST_REQUIRE_EQUAL(forms.size(), 1u);
  BOOST_TEST(forms[0].info.name_kk == "Сотталғандығының бар немесе жоқ екендігі туралы анықтама беру");
  BOOST_TEST(forms[0].info.name_ru == "Выдача справки о наличии либо отсутствии судимости");
  BOOST_TEST(forms[0].info.responsible_email == "e.zhaksylykov@almaty.gov.kz");
  BOOST_TEST(store.last_sequence() == *stage.sequence);

  const auto operators_file = dir / "kb-operators.conf";
  const auto token = kb::OperatorRegistry::add(operators_file, "operator-1414");
  const kb::OperatorRegistry operators(operators_file);
  kb::LookupConfig config;
  config.port = 0;
  kb::LookupServer lookup(config, store, key, operators, calendar);
  lookup.start();
  httplib::Client client("127.0.0.1", lookup.port());
  client.set_read_timeout(10);
  const httplib::Headers bearer{{"Authorization", "Bearer " + token}};
  const auto found = client.Get("/api/v1/applications/002145678912?iin=920315450126", bearer);
  BOOST_REQUIRE(found);
  BOOST_TEST(found->status == 200);
  const auto body = nlohmann::json::parse(found->body);
  BOOST_TEST(body["stage"]["code"] == 2);
  BOOST_TEST(body["stage"]["wording"]["ru"] == "отправлено на исполнение");
  BOOST_TEST(body["plannedDate"]["value"] == "2026-11-25");
  BOOST_TEST(body["plannedDate"]["source"] == "provider");
  const auto wrong = client.Get("/api/v1/applications/002145678912?iin=920315450127", bearer);
  BOOST_REQUIRE(wrong);
  BOOST_TEST(wrong->status == 404);

  // The consumer restarts: it resumes after what it stored and takes only the next stage.
  subscriber = bus::Subscriber(gateway->bus_endpoint(), {"nothing"});  // the old connection goes away
  const auto accepted = test::replace_once(test::sample_stage(), "code=\"2\" at=\"2026-11-20T10:42:00+05:00\"",
                                     "code=\"3\" at=\"2026-11-21T09:00:00+05:00\"");
  BOOST_REQUIRE(post(sign(accepted)).status_code == "SCSS001");
  auto restarted = consumer();
  BOOST_REQUIRE_EQUAL(consume(restarted, 1), 1);
  BOOST_TEST((kb::consume_one(restarted, knowledge_base, 500ms) == kb::Consumed::Nothing));
  BOOST_TEST(store.service_history("Z22-74").size() == 1u);
  const auto moved = nlohmann::json::parse(client.Get("/api/v1/applications/002145678912?iin=920315450126", bearer)->body);
  BOOST_TEST(moved["stage"]["code"] == 3);
  BOOST_TEST(moved["stage"]["wording"]["kk"] == "жұмысқа қабылданды");
}

BOOST_AUTO_TEST_SUITE_END()
