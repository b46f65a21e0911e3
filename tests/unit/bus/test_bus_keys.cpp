#include <sys/stat.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <functional>

#include "stagegate/bus/consumer_registry.h"
#include "stagegate/bus/curve_keys.h"
#include "support/temp_dir.h"

using namespace stagegate;

namespace {

std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "no error";
}

unsigned mode_of(const std::filesystem::path& file) {
  struct stat status {};
  BOOST_REQUIRE(::stat(file.c_str(), &status) == 0);
  return status.st_mode & 0777;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(curve_keys)

BOOST_AUTO_TEST_CASE(a_generated_pair_is_two_z85_keys_whose_public_half_derives_from_the_secret) {
  const auto pair = bus::generate_curve_key_pair();
  BOOST_TEST(bus::is_z85_key(pair.public_key));
  BOOST_TEST(bus::is_z85_key(pair.secret_key));
  BOOST_TEST(pair.public_key != pair.secret_key);
  BOOST_TEST(bus::derive_public_key(pair.secret_key) == pair.public_key);
  BOOST_TEST(bus::generate_curve_key_pair().public_key != pair.public_key);
}

BOOST_AUTO_TEST_CASE(key_files_are_created_0600_and_0644_read_back_and_never_overwritten) {
  test::TempDir dir;
  const auto pair = bus::generate_curve_key_pair();
  bus::write_key_pair(dir / "consumer", pair);
  BOOST_TEST(mode_of(dir / "consumer.key") == 0600u);
  BOOST_TEST(mode_of(dir / "consumer.pub") == 0644u);
  BOOST_TEST(bus::read_secret_key(dir / "consumer.key") == pair.secret_key);
  BOOST_TEST(bus::read_public_key(dir / "consumer.pub") == pair.public_key);
  const auto second = message_of([&] { bus::write_key_pair(dir / "consumer", bus::generate_curve_key_pair()); });
  BOOST_TEST(second.find("never overwritten") != std::string::npos, second);
  BOOST_TEST(bus::read_secret_key(dir / "consumer.key") == pair.secret_key);
}

BOOST_AUTO_TEST_CASE(a_secret_key_readable_by_others_or_a_file_that_is_not_a_key_is_refused_by_name) {
  test::TempDir dir;
  std::ofstream(dir / "open.key") << bus::generate_curve_key_pair().secret_key << '\n';
  std::filesystem::permissions(dir / "open.key", std::filesystem::perms(0644));
  const auto readable = message_of([&] { bus::read_secret_key(dir / "open.key"); });
  BOOST_TEST(readable.find("open.key is accessible by group or others") != std::string::npos, readable);
  std::ofstream(dir / "bad.pub") << "not a key\n";
  const auto bad = message_of([&] { bus::read_public_key(dir / "bad.pub"); });
  BOOST_TEST(bad.find("bad.pub: not a CURVE public key") != std::string::npos, bad);
  const auto missing = message_of([&] { bus::read_public_key(dir / "missing.pub"); });
  BOOST_TEST(missing.find("missing.pub") != std::string::npos, missing);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(consumers_file)

const std::string kMonitoringKey = bus::generate_curve_key_pair().public_key;
const std::string kTailKey = bus::generate_curve_key_pair().public_key;

BOOST_AUTO_TEST_CASE(a_file_binds_names_to_keys_with_their_destinations_and_observe) {
  const auto registry = bus::ConsumerRegistry::parse("# who may consume\n\n  # indented comment\nmonitoring " + kMonitoringKey +
                                                         " monitoring,notification\ntail\t" + kTailKey + " - observe\n",
                                                     "consumers.conf");
  BOOST_TEST(registry.size() == 2u);
  const auto* monitoring = registry.find_by_key(kMonitoringKey);
  BOOST_REQUIRE(monitoring);
  BOOST_TEST(monitoring->name == "monitoring");
  BOOST_TEST(monitoring->destinations == (std::vector<std::string>{"monitoring", "notification"}), boost::test_tools::per_element());
  BOOST_TEST(!monitoring->observe);
  BOOST_REQUIRE(registry.find_by_name("tail"));
  BOOST_TEST(registry.find_by_name("tail")->observe);
  BOOST_TEST(registry.find_by_name("tail")->destinations.empty());
  BOOST_TEST(!registry.find_by_name("stranger"));
  BOOST_TEST(!registry.find_by_key(bus::generate_curve_key_pair().public_key));
  BOOST_TEST(bus::ConsumerRegistry::format_line(*monitoring) == "monitoring " + kMonitoringKey + " monitoring,notification");
  BOOST_TEST(bus::ConsumerRegistry::format_line(*registry.find_by_name("tail")) == "tail " + kTailKey + " - observe");
}

BOOST_AUTO_TEST_CASE(each_mistake_is_named_with_file_and_line) {
  const auto error = [](const std::string& text) {
    return message_of([&] { bus::ConsumerRegistry::parse("# header\n" + text, "c.conf"); });
  };
  BOOST_TEST(error("monitoring short-key monitoring\n") == "c.conf:2: bad public key (40 Z85 characters expected)");
  BOOST_TEST(error("monitoring " + kMonitoringKey + "\n") == "c.conf:2: expected <name> <public-key-z85> <destinations|-> [observe]");
  BOOST_TEST(error("mon/itoring " + kMonitoringKey + " monitoring\n") == "c.conf:2: bad consumer name (letters, digits, _ - . up to 64)");
  BOOST_TEST(error("monitoring " + kMonitoringKey + " monitoring admin\n") == "c.conf:2: unknown flag admin (only observe)");
  BOOST_TEST(error("monitoring " + kMonitoringKey + " -\n") == "c.conf:2: consumer monitoring has no destinations and may not observe");
  BOOST_TEST(error("a " + kMonitoringKey + " x\nb " + kTailKey + " y\na " + bus::generate_curve_key_pair().public_key + " z\n") ==
             "c.conf:4: consumer a is registered twice");
  BOOST_TEST(error("a " + kMonitoringKey + " x\nb " + kMonitoringKey + " y\n") ==
             "c.conf:3: the key of b is already registered (one key per consumer)");
  BOOST_TEST(message_of([] { bus::ConsumerRegistry::load("/nonexistent/consumers.conf"); }) ==
             "cannot read consumers file /nonexistent/consumers.conf");
}

BOOST_AUTO_TEST_CASE(a_hello_is_refused_for_another_name_an_ungranted_destination_or_observing_without_the_grant) {
  const bus::ConsumerGrant monitoring{"monitoring", kMonitoringKey, {"monitoring"}, false};
  const bus::ConsumerGrant tail{"tail", kTailKey, {}, true};
  BOOST_TEST(!bus::hello_refusal(monitoring, "monitoring", "monitoring"));
  BOOST_TEST(bus::hello_refusal(monitoring, "monitoring", "monitoring,notification").value_or("") ==
             "destination notification is not granted to consumer monitoring");
  BOOST_TEST(bus::hello_refusal(monitoring, "notification", "monitoring").value_or("") ==
             "the name \"notification\" is not bound to this key (it belongs to consumer monitoring)");
  BOOST_TEST(bus::hello_refusal(monitoring, "", "monitoring").value_or("") ==
             "a HELLO without a name observes whole messages, which consumer monitoring may not");
  BOOST_TEST(bus::hello_refusal(monitoring, "monitoring", "").value_or("") ==
             "a HELLO without destinations observes whole messages, which consumer monitoring may not");
  BOOST_TEST(bus::hello_refusal(monitoring, "mon\nitoring", "monitoring").value_or("").find("mon\\x0aitoring") != std::string::npos);
  BOOST_TEST(!bus::hello_refusal(tail, "", ""));
  BOOST_TEST(!bus::hello_refusal(tail, "", "knowledge_base"));
  BOOST_TEST(!bus::hello_refusal(tail, "tail", ""));
  BOOST_TEST(bus::hello_refusal(tail, "monitoring", "monitoring").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
