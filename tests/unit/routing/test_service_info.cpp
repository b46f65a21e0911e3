#include <boost/test/unit_test.hpp>


#include "stagegate/routing/normalize.h"
#include "support/files.h"

using namespace stagegate;
using namespace stagegate::routing;

namespace {

std::string sample_info() { return test::read_text(std::string(STAGEGATE_SAMPLES) + "/service-info.xml"); }

}  // namespace

BOOST_AUTO_TEST_SUITE(service_info)

BOOST_AUTO_TEST_CASE(sample_normalizes_with_both_languages) {
  const auto info = normalize_service_info(sample_info());
  BOOST_REQUIRE_MESSAGE(info.ok(), (info.ok() ? std::string() : info.refusal().reason));
  BOOST_TEST(info->registry_number == "Z22-74");
  BOOST_TEST(info->name_kk == "Сотталғандығының бар немесе жоқ екендігі туралы анықтама беру");
  BOOST_TEST(info->name_ru == "Выдача справки о наличии либо отсутствии судимости");
  BOOST_TEST(info->responsible_email == "e.zhaksylykov@almaty.gov.kz");
  BOOST_TEST(info->body_bin == "050140001238");
  const auto json = to_json(info.value());
  BOOST_TEST(json.rfind("{\"schema\":\"stagegate.kb/1\"", 0) == 0u);
  BOOST_TEST(json.find("\"name\":{\"kk\":") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_language_or_responsible_field_is_schema) {
  auto text = sample_info();
  const auto kk = text.find("<name lang=\"kk\">");
  text.erase(kk, text.find("</name>", kk) + 7 - kk);
  const auto result = normalize_service_info(text);
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST(result.refusal().code == Code::Schema);
  BOOST_TEST(result.refusal().reason.find("kk") != std::string::npos);

  auto no_phone = sample_info();
  const auto phone = no_phone.find("<phone>");
  no_phone.erase(phone, no_phone.find("</phone>") + 8 - phone);
  BOOST_TEST(normalize_service_info(no_phone).refusal().reason == "responsible/phone: required");
}

BOOST_AUTO_TEST_CASE(stage_document_is_not_service_info) {
  BOOST_TEST(normalize_service_info("<StageNotification xmlns=\"urn:stagegate:stage:1\"/>").refusal().code == Code::Schema);
}

BOOST_AUTO_TEST_SUITE_END()
