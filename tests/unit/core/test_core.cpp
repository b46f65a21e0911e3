#define BOOST_TEST_MODULE core
#include <boost/test/unit_test.hpp>

#include <chrono>

#include "stagegate/core/clock.h"
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
