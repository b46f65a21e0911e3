// Trust anchors, CRLs and the provider registry change under a running gateway.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

#include "integration/gateway_fixture.h"

using namespace stagegate;
using namespace std::chrono_literals;

namespace {

struct ReloadFixture : test::GatewayFixture {
  // Waits for the file watch (100 ms here) to pick a change up.
  template <class Predicate>
  bool eventually(Predicate done) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      if (done()) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(reload, ReloadFixture)

BOOST_AUTO_TEST_CASE(a_provider_added_to_the_registry_is_accepted_without_restart) {
  const auto document = sign(test::sample_stage());
  BOOST_TEST(post(document, "STAGE_NOTIFICATION", "second-password", "", "second-system").status_code == "SENDER_AUTH");
  std::ofstream(registry_file(), std::ios::app)
      << signing::ProviderRegistry::format_line(
             signing::Provider{"second-system", test::sample_provider_bin(), {"STAGE_NOTIFICATION"}}, "second-password")
      << '\n';
  BOOST_TEST(eventually([&] {
    return post(document, "STAGE_NOTIFICATION", "second-password", "", "second-system").status_code == "SCSS001";
  }));
}

BOOST_AUTO_TEST_CASE(a_crl_dropped_into_the_crl_directory_revokes_the_signer) {
  const auto document = sign(test::sample_stage());
  BOOST_TEST(post(document).status_code == "SCSS001");  // and the validated signer is now cached
  const auto crl = pki.revoke({signer.certificate}, "revoked");
  std::filesystem::copy_file(crl, crl_file(), std::filesystem::copy_options::overwrite_existing);
  const auto outcome = gateway->reload();
  BOOST_TEST(outcome.applied, outcome.message);
  const auto reply = post(document);
  BOOST_TEST(reply.status_code == "SIGNER_UNTRUSTED", reply.status_code << ": " << reply.message);
  BOOST_TEST(reply.message.find("revoked") != std::string::npos, reply.message);
}

BOOST_AUTO_TEST_CASE(a_reload_that_finds_no_crl_is_refused_and_the_running_trust_store_stays) {
  const auto document = sign(test::sample_stage());
  BOOST_TEST(post(document).status_code == "SCSS001");
  std::filesystem::remove(crl_file());  // e.g. while the CRL is being replaced
  const auto missing = gateway->reload();
  BOOST_TEST(!missing.applied);
  BOOST_TEST(missing.message.find("no CRL signed by the trust anchor \"stagegate dev CA\"") != std::string::npos,
             missing.message);
  BOOST_TEST(post(document).status_code == "SCSS001");
  for (const auto& entry : std::filesystem::directory_iterator(crl_dir())) std::filesystem::remove(entry.path());
  const auto emptied = gateway->reload();
  BOOST_TEST(!emptied.applied);
  BOOST_TEST(emptied.message.find("no CRL is loaded") != std::string::npos, emptied.message);
  BOOST_TEST(post(document).status_code == "SCSS001");
}

BOOST_AUTO_TEST_CASE(a_broken_registry_is_refused_and_the_running_one_stays) {
  std::ofstream(registry_file(), std::ios::trunc) << "this is not a registry line\n";
  const auto outcome = gateway->reload();
  BOOST_TEST(!outcome.applied);
  BOOST_TEST(outcome.message.find("providers.conf") != std::string::npos, outcome.message);
  BOOST_TEST(post(sign(test::sample_stage())).status_code == "SCSS001");
}

BOOST_AUTO_TEST_CASE(changed_routing_rules_apply_to_the_next_message_and_a_broken_file_changes_nothing) {
  auto audit = observe({"audit"});
  std::ofstream(routes_file(), std::ios::trunc) << "format = 1\n[destinations.audit]\nfields = [\"applicationId\"]\n"
                                                  "[[routes]]\nto = [\"audit\"]\nstages = [\"SENT_FOR_EXECUTION\"]\n";
  const auto applied = gateway->reload();
  BOOST_TEST(applied.applied, applied.message);
  BOOST_REQUIRE(post(sign(test::sample_stage())).status_code == "SCSS001");
  const auto delivered = audit.receive(10s);
  BOOST_REQUIRE(delivered.has_value());
  BOOST_TEST(delivered->payload.find("\"applicationId\"") != std::string::npos);
  BOOST_TEST(delivered->payload.find("\"recipient\"") == std::string::npos, delivered->payload);

  std::ofstream(routes_file(), std::ios::trunc) << "format = 1\n[[routes]]\nto = [\"nowhere\"]\n";
  const auto refused = gateway->reload();
  BOOST_TEST(!refused.applied);
  BOOST_TEST(refused.message.find("routes.toml:") != std::string::npos, refused.message);
  BOOST_REQUIRE(post(sign(test::sample_stage())).status_code == "SCSS001");
  BOOST_TEST(audit.receive(10s).has_value());  // still routed by the running rules
}

BOOST_AUTO_TEST_CASE(a_bus_consumer_added_to_the_consumers_file_is_served_and_a_broken_file_changes_nothing) {
  const auto keys = bus::generate_curve_key_pair();
  auto config = observer_config({"monitoring"});
  config.name = "late";
  config.public_key = keys.public_key;
  config.secret_key = keys.secret_key;
  {
    bus::Subscriber unknown(config);
    BOOST_TEST(!unknown.wait_ready(1500ms));
  }
  std::ofstream(consumers_file(), std::ios::app) << bus::ConsumerRegistry::format_line({"late", keys.public_key, {"monitoring"}, false})
                                                 << '\n';
  BOOST_TEST(eventually([&] { return bus::Subscriber(config).wait_ready(1s); }));

  std::ofstream(consumers_file(), std::ios::app) << "broken line\n";
  const auto refused = gateway->reload();
  BOOST_TEST(!refused.applied);
  BOOST_TEST(refused.message.find("consumers.conf:6:") != std::string::npos, refused.message);
  bus::Subscriber still(config);
  BOOST_TEST(still.wait_ready(5s));
  BOOST_REQUIRE(post(sign(test::sample_stage())).status_code == "SCSS001");
  BOOST_TEST(still.receive(10s).has_value());
}

BOOST_AUTO_TEST_CASE(reloading_under_load_refuses_nothing_in_flight) {
  const auto document = sign(test::sample_stage());
  std::atomic<int> accepted{0};
  std::atomic<int> refused{0};
  std::atomic<bool> sending{true};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c)
    clients.emplace_back([&, c] {
      for (int i = 0; i < 40; ++i) {
        const auto reply = post(document, "STAGE_NOTIFICATION", test::kPassword, "load-" + std::to_string(c) + "-" + std::to_string(i));
        (reply.status_code == "SCSS001" ? accepted : refused).fetch_add(1);
      }
    });
  int reloads = 0;
  std::thread reloader([&] {
    while (sending) {
      if (gateway->reload().applied) ++reloads;
      std::this_thread::sleep_for(5ms);
    }
  });
  for (auto& client : clients) client.join();
  sending = false;
  reloader.join();
  BOOST_TEST(accepted == 160);
  BOOST_TEST(refused == 0);
  BOOST_TEST(reloads > 5);
  BOOST_TEST_MESSAGE("160 messages during " << reloads << " reloads");
}

BOOST_AUTO_TEST_SUITE_END()
