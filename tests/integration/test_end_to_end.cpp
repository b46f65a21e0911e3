#define BOOST_TEST_MODULE end_to_end
#include <boost/test/unit_test.hpp>

#include <sqlite3.h>

#include <thread>

#include "integration/gateway_fixture.h"
#include "support/http.h"

using namespace stagegate;
using namespace std::chrono_literals;

BOOST_FIXTURE_TEST_SUITE(end_to_end, test::GatewayFixture)

BOOST_AUTO_TEST_CASE(signed_stage_notification_reaches_a_zeromq_consumer) {
  const auto reply = post(sign(test::sample_stage()));
  BOOST_TEST(reply.status_code == "SCSS001", reply.message);
  BOOST_REQUIRE(reply.sequence.has_value());
  BOOST_TEST(!reply.duplicate);
  BOOST_TEST(gateway->journaled() == 1u);

  const auto delivered = subscriber.receive(10s);
  BOOST_REQUIRE(delivered.has_value());
  BOOST_TEST(delivered->topic == "stage");
  BOOST_TEST(delivered->sequence == *reply.sequence);
  BOOST_TEST(delivered->payload.find("\"schema\":\"stagegate.stage/1\"") != std::string::npos, delivered->payload);
  BOOST_TEST(delivered->payload.find(test::sample_provider_bin()) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(repeated_message_id_returns_the_first_receipt_and_is_routed_once) {
  const auto document = sign(test::sample_stage());
  const auto first = post(document, "STAGE_NOTIFICATION", test::kPassword, "msg-42");
  const auto second = post(document, "STAGE_NOTIFICATION", test::kPassword, "msg-42");
  BOOST_TEST(first.status_code == "SCSS001");
  BOOST_TEST(second.status_code == "SCSS001");
  BOOST_TEST(second.duplicate);
  BOOST_REQUIRE(first.sequence && second.sequence);
  BOOST_TEST(*first.sequence == *second.sequence);
  BOOST_TEST(second.received_at == first.received_at);
  BOOST_TEST(gateway->journaled() == 1u);
  BOOST_TEST(subscriber.receive(5s).has_value());
  BOOST_TEST(!subscriber.receive(500ms).has_value());
}

BOOST_AUTO_TEST_CASE(service_information_is_routed_to_the_knowledge_base_topic) {
  std::string info = test::read_text(std::filesystem::path(STAGEGATE_SAMPLES) / "service-info.xml");
  // The knowledge base form names the government body; the gateway takes it as sent.
  const auto reply = post(sign(info), "SERVICE_INFO");
  BOOST_TEST(reply.status_code == "SCSS001", reply.message);
  const auto delivered = subscriber.receive(10s);
  BOOST_REQUIRE(delivered.has_value());
  BOOST_TEST(delivered->topic == "kb");
  BOOST_TEST(delivered->payload.find("\"schema\":\"stagegate.kb/1\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(each_destination_receives_what_the_routing_rules_let_it_see) {
  auto monitoring = observe({"monitoring"});
  auto knowledge_base = observe({"knowledge_base"});
  auto notification = observe({"notification"});
  const auto stage = post(sign(test::sample_stage()));
  BOOST_REQUIRE(stage.status_code == "SCSS001");
  const auto last_name = std::string("\"lastName\"");

  const auto whole = monitoring.receive(10s);
  BOOST_REQUIRE(whole.has_value());
  BOOST_TEST(whole->topic == "monitoring");
  BOOST_TEST(whole->payload.find(last_name) != std::string::npos);
  BOOST_TEST(whole->payload.find("\"executor\"") != std::string::npos);

  const auto without_names = knowledge_base.receive(10s);
  BOOST_REQUIRE(without_names.has_value());
  BOOST_TEST(without_names->topic == "knowledge_base");
  BOOST_TEST(without_names->sequence == *stage.sequence);
  BOOST_TEST(without_names->payload.find(last_name) == std::string::npos, without_names->payload);
  BOOST_TEST(without_names->payload.find("\"schema\":\"stagegate.stage/1\"") != std::string::npos);

  const auto with_names = notification.receive(10s);
  BOOST_REQUIRE(with_names.has_value());
  BOOST_TEST(with_names->payload.find(last_name) != std::string::npos);
  BOOST_TEST(with_names->payload.find("\"executor\"") == std::string::npos, with_names->payload);

  std::string info = test::read_text(std::filesystem::path(STAGEGATE_SAMPLES) / "service-info.xml");
  BOOST_REQUIRE(post(sign(info), "SERVICE_INFO").status_code == "SCSS001");
  const auto form = knowledge_base.receive(10s);
  BOOST_REQUIRE(form.has_value());
  BOOST_TEST(form->payload.find("\"schema\":\"stagegate.kb/1\"") != std::string::npos);
  BOOST_TEST(!monitoring.receive(500ms).has_value());
  BOOST_TEST(!notification.receive(100ms).has_value());
}

BOOST_AUTO_TEST_CASE(messages_arrive_in_journal_order) {
  std::vector<std::uint64_t> sequences;
  for (int i = 0; i < 20; ++i) {
    const auto reply = post(sign(test::sample_stage()));
    BOOST_REQUIRE_MESSAGE(reply.sequence.has_value(), reply.status_code << ": " << reply.message);
    sequences.push_back(*reply.sequence);
  }
  for (const auto expected : sequences) {
    const auto delivered = subscriber.receive(10s);
    BOOST_REQUIRE(delivered.has_value());
    BOOST_TEST(delivered->sequence == expected);
  }
}

// The delivery thread cannot write its state (another writer holds the journal file): the
// process stays up, /health says why with 503, and says ok again once the writer lets go.
BOOST_AUTO_TEST_CASE(a_storage_error_in_delivery_shows_in_health_and_clears) {
  const auto health = [&] { return test::http_request(gateway->soap_port(), "GET", "/health"); };
  BOOST_TEST(health().status == 200);
  sqlite3* raw = nullptr;
  BOOST_REQUIRE(sqlite3_open((dir / "journal.db").c_str(), &raw) == SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> other_writer(raw, &sqlite3_close);
  BOOST_REQUIRE(sqlite3_exec(other_writer.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
  bus::Subscriber monitoring(consumer_config("monitoring"));  // its registration must be written
  const auto waited_for = [&](int status) {
    for (int i = 0; i < 200; ++i) {
      if (health().status == status) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  };
  BOOST_REQUIRE(waited_for(503));
  const auto failing = health();
  BOOST_TEST(failing.body.find("delivery storage: ") == 0u, failing.body);
  BOOST_TEST(failing.body.find("locked") != std::string::npos, failing.body);
  BOOST_REQUIRE(sqlite3_exec(other_writer.get(), "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
  BOOST_TEST(waited_for(200));
  BOOST_TEST(health().body == "ok\n");
}

BOOST_AUTO_TEST_SUITE_END()
