#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <random>
#include <string>

#include "json_writer.h"

using stagegate::routing::JsonWriter;

namespace {

// The escaping JSON needs, one byte at a time: what the writer's eight-byte scan must equal.
std::string escaped_bytewise(std::string_view value) {
  std::string out = "\"";
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string written(const std::string& value) {
  JsonWriter writer;
  writer.begin_object().field(stagegate::routing::KnownField::ApplicationId, value).end_object();
  return writer.take();
}

std::string expected(const std::string& value) { return "{\"applicationId\":" + escaped_bytewise(value) + "}"; }

}  // namespace

BOOST_AUTO_TEST_SUITE(json_writer)

BOOST_AUTO_TEST_CASE(every_byte_at_every_place_of_a_word_is_escaped_as_one_at_a_time) {
  // 0x1f/0x20, '"', '\\' and 0x7f-0x80 sit at the edges of the eight-byte test.
  for (int byte = 0; byte < 256; ++byte)
    for (std::size_t length = 1; length <= 19; ++length)
      for (std::size_t at = 0; at < length; ++at) {
        std::string value(length, 'a');
        value[at] = static_cast<char>(byte);
        BOOST_REQUIRE_EQUAL(written(value), expected(value));
      }
}

BOOST_AUTO_TEST_CASE(kazakh_and_russian_text_passes_through) {
  const std::string value = "Қарағанды облысы әкімдігі, «Ақжол» / Управление \"ЦОН\"\tг. Астана\\";
  BOOST_CHECK_EQUAL(written(value), expected(value));
  BOOST_CHECK(written(value).find("Қарағанды облысы әкімдігі") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(random_text_is_escaped_as_one_byte_at_a_time) {
  std::mt19937 random(7);
  std::uniform_int_distribution<int> length(0, 80);
  // Mostly printable and UTF-8 bytes, some of what must be escaped.
  static constexpr char kAlphabet[] = "abcXYZ019 .,-{}:\xd0\x9a\xd2\x9b\xc3\xa9\x7f\x80\xff\"\\\n\r\t\x01\x1f";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  for (int i = 0; i < 20000; ++i) {
    std::string value(static_cast<std::size_t>(length(random)), ' ');
    for (auto& c : value) c = alphabet[pick(random)];
    BOOST_REQUIRE_EQUAL(written(value), expected(value));
  }
}

BOOST_AUTO_TEST_SUITE_END()
