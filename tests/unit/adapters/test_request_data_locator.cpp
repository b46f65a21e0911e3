#include <boost/test/unit_test.hpp>

#include <mutex>
#include <string>
#include <vector>

#include "request_data_locator.h"
#include "sync_channel_service.h"

using namespace stagegate;
using adapters::locate_request_data;

namespace {

std::string envelope(const std::string& data_element, const std::string& prefix = "SOAP-ENV") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<" + prefix + ":Envelope xmlns:" + prefix +
         "=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:sc=\"http://bip.bee.kz/SyncChannel/v10/Types\"><" + prefix +
         ":Body><sc:SendMessage><request><requestInfo><messageId>m-1</messageId><serviceId>STAGE_NOTIFICATION</serviceId>"
         "<messageDate>2026-11-22T10:00:00Z</messageDate><sender><senderId>akimat</senderId><password>x</password></sender>"
         "</requestInfo><requestData>" +
         data_element + "</requestData></request></sc:SendMessage></" + prefix + ":Body></" + prefix + ":Envelope>\n";
}

std::string content_of(const std::string& body) {
  const auto span = locate_request_data(body);
  BOOST_REQUIRE(span.has_value());
  return body.substr(span->begin, span->end - span->begin);
}

class RecordingHandler final : public MessageHandler {
 public:
  Result<Receipt> handle(const InboundMessage& message) override {
    std::lock_guard lock(mutex);
    documents.push_back(message.document);
    return Receipt{documents.size(), "2026-11-22T10:00:00.000Z", false};
  }
  std::mutex mutex;
  std::vector<std::string> documents;
};

std::string with_content_length(const std::string& body) {
  return "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// With a Content-Encoding the request goes through gSOAP's own HTTP layer and its own reading
// of requestData/data.
std::string through_gsoap(const std::string& body) {
  return "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Encoding: identity\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string chunked(const std::string& body) {
  std::string request = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < body.size(); at += 700) {
    const auto piece = body.substr(at, 700);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", piece.size());
    request += std::string(size) + "\r\n" + piece + "\r\n";
  }
  return request + "0\r\n\r\n";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(request_data_locator)

BOOST_AUTO_TEST_CASE(finds_the_content_whatever_the_prefixes) {
  BOOST_TEST(content_of(envelope("<data>&lt;a/&gt;</data>")) == "&lt;a/&gt;");
  BOOST_TEST(content_of(envelope("<data>&lt;a/&gt;</data>", "soapenv")) == "&lt;a/&gt;");
  BOOST_TEST(content_of(envelope("<sc:data xmlns:sc=\"x\">\n<!-- note </data> -->\n<a b='>' c=\"/>\"><data/></a>\n</sc:data>")) ==
             "\n<!-- note </data> -->\n<a b='>' c=\"/>\"><data/></a>\n");
}

BOOST_AUTO_TEST_CASE(anything_unsure_is_left_to_gsoap) {
  BOOST_TEST(!locate_request_data(envelope("<data/>")));
  BOOST_TEST(!locate_request_data(envelope("<data>x</data><data>y</data>")));
  BOOST_TEST(!locate_request_data(envelope("<data><![CDATA[<a/>]]></data>")));
  BOOST_TEST(!locate_request_data(envelope("<data><?pi x?><a/></data>")));
  BOOST_TEST(!locate_request_data(envelope("<data><a></data>")));
  BOOST_TEST(!locate_request_data(envelope("<data><a></b></data>")));
  BOOST_TEST(!locate_request_data(envelope("<data>x</data>").substr(0, 300)));
  BOOST_TEST(!locate_request_data("<!DOCTYPE x [<!ENTITY e \"y\">]>" + envelope("<data>&e;</data>")));
  BOOST_TEST(!locate_request_data("<Envelope><Body><SendMessage><request><data>x</data></request></SendMessage></Body></Envelope>"));
  BOOST_TEST(!locate_request_data(envelope("<data a=\"unterminated>x</data>")));
}

// Whatever the form of the document, the pipeline gets what gSOAP itself would have given it.
BOOST_AUTO_TEST_CASE(the_pipeline_gets_what_gsoap_reads) {
  const std::vector<std::string> forms{
      "<data>&lt;Stage xmlns=\"urn:s\"&gt;ЦОН &amp;amp; Қазақстан &#1178;&lt;/Stage&gt;</data>",
      "<data>\n<!-- before signing -->\n<Stage xmlns=\"urn:s\" Id=\"s1\"><place a='1' b=\"&quot;\">ЦОН &amp; Қазақстан</place>"
      "<empty/><t>&#1178;&#x41b;</t></Stage>\n</data>",
      "<data xmlns:x=\"urn:x\"><x:Stage><x:a>1</x:a></x:Stage></data>",
      "<data>  &lt;a&gt;x&lt;/a&gt;  </data>",
  };
  RecordingHandler handler;
  adapters::ServerConfig config;
  adapters::SyncChannelService service(handler, config);
  for (const auto& form : forms) {
    const auto body = envelope(form);
    BOOST_REQUIRE(locate_request_data(body).has_value());
    const auto fast = service.serve_bytes(with_content_length(body));
    const auto gsoap = service.serve_bytes(through_gsoap(body));
    BOOST_TEST_REQUIRE(handler.documents.size() % 2 == 0u, "both paths reached the pipeline for " << form << "\nfast: " << fast << "\ngsoap: " << gsoap);
    BOOST_TEST(fast.find("SCSS001") != std::string::npos, fast);
    BOOST_TEST(gsoap.find("SCSS001") != std::string::npos, gsoap);
    BOOST_TEST(handler.documents[handler.documents.size() - 2] == handler.documents.back(), form);
  }
}

// Chunked requests used to reach gSOAP's HTTP layer, which answered "SOAP message expected".
BOOST_AUTO_TEST_CASE(a_chunked_request_is_served) {
  RecordingHandler handler;
  adapters::ServerConfig config;
  adapters::SyncChannelService service(handler, config);
  const auto body = envelope("<data>&lt;a xmlns=\"urn:s\"&gt;ЦОН&lt;/a&gt;</data>");
  const auto response = service.serve_bytes(chunked(body));
  BOOST_TEST(response.find("SCSS001") != std::string::npos, response);
  BOOST_REQUIRE(handler.documents.size() == 1u);
  BOOST_TEST(handler.documents.front() == "<a xmlns=\"urn:s\">ЦОН</a>");
}

BOOST_AUTO_TEST_SUITE_END()
