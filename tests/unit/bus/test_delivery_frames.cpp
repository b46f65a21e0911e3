#include <boost/test/unit_test.hpp>

#include "delivery_frames.h"
#include "protocol_log.h"

#include <sstream>

using namespace stagegate;

BOOST_AUTO_TEST_SUITE(delivery_frames)

BOOST_AUTO_TEST_CASE(a_good_hello_is_parsed_and_a_huge_window_is_cut) {
  const auto hello = bus::parse_hello("monitoring", "stage,kb,stage", "999999999", "7", 1024, 10);
  BOOST_REQUIRE(hello.ok());
  BOOST_TEST(hello->name == "monitoring");
  BOOST_TEST(hello->topics == (std::vector<std::string>{"stage", "kb"}), boost::test_tools::per_element());
  BOOST_TEST(hello->window == 1024u);
  BOOST_TEST(hello->processed == 7u);
  BOOST_TEST(bus::parse_hello("", "", "1", "0", 1024, 0).ok());  // an observer of everything
}

BOOST_AUTO_TEST_CASE(out_of_bounds_hellos_are_refused_with_the_reason) {
  const auto refused = [](std::string_view name, std::string_view destinations, std::string_view window, std::string_view processed) {
    const auto hello = bus::parse_hello(name, destinations, window, processed, 1024, 10);
    return hello.ok() ? std::string() : hello.refusal().reason;
  };
  BOOST_TEST(refused("mon\nitoring", "", "1", "0") == "consumer name must be 1 to 64 of [A-Za-z0-9._-]");
  BOOST_TEST(refused(std::string(65, 'a'), "", "1", "0") == "consumer name must be 1 to 64 of [A-Za-z0-9._-]");
  BOOST_TEST(refused("m", "a,,b", "1", "0") == "destination must be 1 to 64 of [A-Za-z0-9._-]");
  BOOST_TEST(refused("m", "a,", "1", "0") == "empty destination");
  BOOST_TEST(refused("m", "a b", "1", "0") == "destination must be 1 to 64 of [A-Za-z0-9._-]");
  std::string many;
  for (int i = 0; i < 33; ++i) many += (i ? ",d" : "d") + std::to_string(i);
  BOOST_TEST(refused("m", many, "1", "0") == "more than 32 destinations");
  BOOST_TEST(refused("m", "", "0", "0") == "window must be a positive number");
  BOOST_TEST(refused("m", "", "-1", "0") == "window must be a positive number");
  BOOST_TEST(refused("m", "", "1", "x") == "processed position must be a number");
  BOOST_TEST(refused("m", "", "1", "18446744073709551616") == "processed position must be a number");  // 2^64
  BOOST_TEST(refused("m", "", "1", "11") == "processed position 11 is beyond the journal's last sequence 10");
  BOOST_TEST(refused("m", "", "1", "10").empty());
}

BOOST_AUTO_TEST_CASE(logged_fields_are_escaped_and_cut) {
  BOOST_TEST(bus::escape_field("ok-1") == "ok-1");
  BOOST_TEST(bus::escape_field("a\nb\"c\\") == "a\\x0ab\\x22c\\x5c");
  BOOST_TEST(bus::escape_field("abcdef", 3) == "abc...");
  BOOST_TEST(bus::peer_id(std::string("\x00\x01\xff", 3)) == "0001ff");
}

BOOST_AUTO_TEST_CASE(the_log_is_rate_limited) {
  std::ostringstream out;
  bus::ProtocolLog log(out, 3, std::chrono::seconds(10));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) log.write("bad frame " + std::to_string(i), start);
  log.tick(start + std::chrono::seconds(5));  // the window is not over: no summary yet
  const auto early = out.str();
  BOOST_TEST(std::count(early.begin(), early.end(), '\n') == 3);
  log.tick(start + std::chrono::seconds(11));
  log.write("after the window", start + std::chrono::seconds(12));
  const auto text = out.str();
  BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 5);  // 3 lines, the summary, the next window's line
  BOOST_TEST(text.find("997 more protocol lines suppressed") != std::string::npos);
  BOOST_TEST(log.suppressed_total() == 997u);
}

BOOST_AUTO_TEST_SUITE_END()
