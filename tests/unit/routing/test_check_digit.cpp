#include <boost/test/unit_test.hpp>

#include "stagegate/routing/normalize.h"

using stagegate::routing::valid_iin_bin;

BOOST_AUTO_TEST_SUITE(check_digit)

BOOST_AUTO_TEST_CASE(first_pass_numbers) {
  BOOST_TEST(valid_iin_bin("920315450126"));
  BOOST_TEST(valid_iin_bin("880501300451"));
  BOOST_TEST(valid_iin_bin("050140001238"));
  BOOST_TEST(!valid_iin_bin("050140001237"));
}

BOOST_AUTO_TEST_CASE(second_pass_when_the_first_gives_ten) {
  // 1*1+..+2*10 over 10000000020: first pass 1+20=21, 21 mod 11 = 10 -> weights 3..11,1,2:
  // 3*1 + 1*2 (10th digit 2 has weight 1... ) computed: check digit 5.
  BOOST_TEST(valid_iin_bin("100000000205"));
  BOOST_TEST(!valid_iin_bin("100000000200"));
}

BOOST_AUTO_TEST_CASE(shape_is_checked) {
  BOOST_TEST(!valid_iin_bin("92031545012"));
  BOOST_TEST(!valid_iin_bin("9203154501260"));
  BOOST_TEST(!valid_iin_bin("92031545012a"));
}

BOOST_AUTO_TEST_SUITE_END()
