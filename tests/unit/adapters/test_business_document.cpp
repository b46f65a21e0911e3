#include <boost/test/unit_test.hpp>

#include "business_document.h"

using stagegate::Code;
using stagegate::adapters::extract_business_document;

BOOST_AUTO_TEST_SUITE(business_document)

BOOST_AUTO_TEST_CASE(element_child_is_taken_verbatim) {
  const auto document = extract_business_document("\n  <d xmlns=\"urn:x\"><a>1 &amp; 2</a></d>\n ");
  BOOST_REQUIRE(document.ok());
  BOOST_TEST(document.value() == "<d xmlns=\"urn:x\"><a>1 &amp; 2</a></d>");
}

BOOST_AUTO_TEST_CASE(escaped_text_is_unescaped_for_xs_string_senders) {
  const auto document = extract_business_document("&lt;d a=&quot;x&quot;&gt;&#1178;&#x4B0;&lt;/d&gt;");
  BOOST_REQUIRE(document.ok());
  BOOST_TEST(document.value() == "<d a=\"x\">\xD2\x9A\xD2\xB0</d>");
}

BOOST_AUTO_TEST_CASE(empty_or_plain_text_is_malformed) {
  BOOST_TEST(extract_business_document("  ").refusal().code == Code::Malformed);
  BOOST_TEST(extract_business_document("hello").refusal().code == Code::Malformed);
  BOOST_TEST(extract_business_document("&bogus;").refusal().code == Code::Malformed);
}

BOOST_AUTO_TEST_SUITE_END()
