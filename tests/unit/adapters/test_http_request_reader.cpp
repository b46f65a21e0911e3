#include <boost/test/unit_test.hpp>

#include "http_request_reader.h"

using namespace stagegate::adapters;

namespace {
HttpRequestReader reader(std::size_t max_body = 100) { return HttpRequestReader(HttpRequestLimits{.max_head_bytes = 256, .max_body_bytes = max_body}); }
}  // namespace

BOOST_AUTO_TEST_SUITE(http_request_reader)

BOOST_AUTO_TEST_CASE(content_length_request_completes_byte_by_byte) {
  const std::string request = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
  auto r = reader();
  for (std::size_t i = 0; i + 1 < request.size(); ++i) BOOST_TEST((r.feed(request.substr(i, 1)) == ReadState::need_more));
  BOOST_TEST((r.feed(request.substr(request.size() - 1)) == ReadState::complete));
  BOOST_TEST(r.request() == request);
  BOOST_TEST(r.method() == "POST");
  BOOST_TEST(r.target() == "/");
  BOOST_TEST(r.keep_alive());
}

BOOST_AUTO_TEST_CASE(get_without_body_completes_at_the_head_and_keeps_pipelined_bytes) {
  auto r = reader();
  BOOST_TEST((r.feed("GET /?wsdl HTTP/1.0\r\n\r\nGET /health HTTP/1.1\r\nConnection: close\r\n\r\n") == ReadState::complete));
  BOOST_TEST(r.target() == "/?wsdl");
  BOOST_TEST(!r.keep_alive());
  BOOST_TEST((r.next_request() == ReadState::complete));
  BOOST_TEST(r.target() == "/health");
  BOOST_TEST(!r.keep_alive());
}

BOOST_AUTO_TEST_CASE(chunked_body_completes_after_the_last_chunk) {
  auto r = reader();
  BOOST_TEST((r.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n") == ReadState::need_more));
  BOOST_TEST((r.feed("3;ext=1\r\nabc\r\n0\r\n") == ReadState::need_more));
  BOOST_TEST((r.feed("\r\n") == ReadState::complete));
}

BOOST_AUTO_TEST_CASE(declared_oversized_body_is_too_large_before_it_arrives) {
  auto r = reader();
  BOOST_TEST((r.feed("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n") == ReadState::too_large));
  BOOST_TEST(r.reason() == "the request body exceeds the size limit");
}

BOOST_AUTO_TEST_CASE(streamed_oversized_chunked_body_is_too_large) {
  auto r = reader();
  BOOST_TEST((r.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n50\r\n" + std::string(80, 'x') + "\r\n") == ReadState::need_more));
  BOOST_TEST((r.feed("20\r\n") == ReadState::too_large));
}

BOOST_AUTO_TEST_CASE(endless_head_is_too_large) {
  auto r = reader();
  BOOST_TEST((r.feed("GET / HTTP/1.1\r\n" + std::string(300, 'a')) == ReadState::too_large));
}

BOOST_AUTO_TEST_CASE(smuggling_and_garbage_are_malformed) {
  auto both = reader();
  BOOST_TEST((both.feed("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n") == ReadState::malformed));
  auto conflicting = reader();
  BOOST_TEST((conflicting.feed("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n") == ReadState::malformed));
  auto version = reader();
  BOOST_TEST((version.feed("GET / SPDY/9\r\n\r\n") == ReadState::malformed));
  auto length = reader();
  BOOST_TEST((length.feed("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") == ReadState::malformed));
  auto chunk = reader();
  BOOST_TEST((chunk.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n") == ReadState::malformed));
}

// The head the reader framed is read the same way afterwards (the body for gSOAP, the Host for
// the WSDL's address), whether its lines end with CRLF or, from lenient clients, LF alone.
BOOST_AUTO_TEST_CASE(headers_of_a_framed_request_are_found_whatever_the_line_ends) {
  for (const std::string eol : {"\r\n", "\n"}) {
    const auto request = "POST / HTTP/1.1" + eol + "Host:  a.kz:8443 " + eol + "transfer-ENCODING: chunked" + eol + eol + "3\r\nabc\r\n0\r\n\r\n";
    const auto framed = split_framed(request);
    BOOST_REQUIRE(framed.has_value());
    BOOST_TEST(header_value(framed->head, "Host").value_or("") == "a.kz:8443");
    BOOST_TEST(header_value(framed->head, "Transfer-Encoding").value_or("") == "chunked");
    BOOST_TEST(!header_value(framed->head, "Content-Encoding"));
    BOOST_TEST(!header_value(framed->head, "POST / HTTP/1.1"));  // the request line is no header
    BOOST_TEST(dechunked_body(framed->body).value_or("") == "abc");
  }
  BOOST_TEST(!split_framed("POST / HTTP/1.1\r\nHost: x\r\n"));
}

BOOST_AUTO_TEST_SUITE_END()
