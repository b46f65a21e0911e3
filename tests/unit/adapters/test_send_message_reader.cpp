// The plain-envelope reader against gSOAP: for every request of the corpus, receive() and the
// final HTTP responses are the same whether the service reads the envelope itself or gSOAP
// does, and the reader takes exactly the shapes listed as taken (a shape that stops being
// taken, or starts to be, shows here).
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "request_data_locator.h"
#include "send_message_reader.h"
#include "support/attack_manifest.h"
#include "support/envelope_differential.h"
#include "support/files.h"
#include "sync_channel_service.h"

using namespace stagegate;
using adapters::SyncChannelService;

namespace {

const std::string kSoap11 = "http://schemas.xmlsoap.org/soap/envelope/";
const std::string kSoap12 = "http://www.w3.org/2003/05/soap-envelope";
const std::string kTypes = "http://bip.bee.kz/SyncChannel/v10/Types";

const std::string kInfo =
    "<messageId>m-1</messageId><serviceId>STAGE_NOTIFICATION</serviceId><messageDate>2026-11-22T10:00:00Z</messageDate>"
    "<sender><senderId>akimat</senderId><password>x</password></sender>";
const std::string kDocument = "<d xmlns=\"urn:x\">ok</d>";

std::string envelope(const std::string& info = kInfo, const std::string& document = kDocument) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<S:Envelope xmlns:S=\"" + kSoap11 + "\" xmlns:sc=\"" + kTypes +
         "\"><S:Body><sc:SendMessage><request><requestInfo>" + info + "</requestInfo><requestData><data>" + document +
         "</data></requestData></request></sc:SendMessage></S:Body></S:Envelope>\n";
}

// `text` with the first `from` replaced by `to` (which must be there).
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  BOOST_REQUIRE_MESSAGE(at != std::string::npos, from);
  return text.replace(at, from.size(), to);
}

std::string replaced_all(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) text.replace(at, from.size(), to);
  return text;
}

std::string info_with(const std::string& from, const std::string& to) { return envelope(replaced(kInfo, from, to)); }

std::string framed(const std::string& body) {
  return "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

struct Case {
  std::string name;
  std::string body;
  bool taken;  // the plain reader takes it (else gSOAP reads it)
};

std::vector<Case> corpus() {
  std::vector<Case> cases;
  const auto taken = [&](std::string name, std::string body) { cases.push_back({std::move(name), std::move(body), true}); };
  const auto declined = [&](std::string name, std::string body) { cases.push_back({std::move(name), std::move(body), false}); };
  const std::string base = envelope();

  taken("plain", base);
  taken("no XML declaration", replaced(base, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", ""));
  taken("declaration in single quotes", replaced(base, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<?xml version='1.0' encoding='utf-8'?>"));
  taken("correlationId", info_with("</messageId>", "</messageId><correlationId>c-1</correlationId>"));
  taken("sessionId", info_with("</sender>", "</sender><sessionId>s-1</sessionId>"));
  taken("both and no password", envelope("<messageId>m-2</messageId><correlationId>c</correlationId><serviceId>SERVICE_INFO</serviceId>"
                                         "<messageDate>2026-11-22T10:00:00+05:00</messageDate><sender><senderId>a</senderId></sender>"
                                         "<sessionId>s</sessionId>"));
  taken("SOAP 1.2", replaced(base, kSoap11, kSoap12));
  taken("SOAP 1.2 with a header", replaced(replaced(base, kSoap11, kSoap12), "<S:Body>", "<S:Header/><S:Body>"));
  taken("default namespaces", "<Envelope xmlns=\"" + kSoap11 + "\"><Body><SendMessage xmlns=\"" + kTypes +
                                  "\"><request xmlns=\"\"><requestInfo>" + kInfo + "</requestInfo><requestData><data>" + kDocument +
                                  "</data></requestData></request></SendMessage></Body></Envelope>");
  taken("children in the operation's default namespace", "<Envelope xmlns=\"" + kSoap11 + "\"><Body><SendMessage xmlns=\"" + kTypes +
                                                             "\"><request><requestInfo>" + kInfo + "</requestInfo><requestData><data>" +
                                                             kDocument + "</data></requestData></request></SendMessage></Body></Envelope>");
  taken("gSOAP client's declarations",
        replaced(replaced_all(base, "S:", "SOAP-ENV:"), "xmlns:S=",
                 "xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                 "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:sci=\"http://bip.bee.kz/SyncChannel/v10/Interfaces\" "
                 "xmlns:SOAP-ENV="));
  declined("mismatched end tags", replaced(base, "</S:Body>", "</S:Bod>"));
  taken("SoapUI style: other prefixes, a foreign namespace, an empty header, indentation",
        "<soapenv:Envelope xmlns:soapenv=\"" + kSoap11 + "\" xmlns:typ=\"" + kTypes +
            "\" xmlns:st=\"urn:stagegate:stage:1\">\n   <soapenv:Header/>\n   <soapenv:Body>\n      <typ:SendMessage>\n"
            "         <request>\n            <requestInfo>\n               <messageId>m-3</messageId>\n"
            "               <serviceId>STAGE_NOTIFICATION</serviceId>\n               <messageDate>2026-11-22T10:00:00Z</messageDate>\n"
            "               <sender>\n                  <senderId>akimat</senderId>\n                  <password>x</password>\n"
            "               </sender>\n            </requestInfo>\n            <requestData>\n               <data>" +
            kDocument + "</data>\n            </requestData>\n         </request>\n      </typ:SendMessage>\n"
            "   </soapenv:Body>\n</soapenv:Envelope>\r\n");
  taken("header with whitespace", replaced(base, "<S:Body>", "<S:Header>\n  </S:Header><S:Body>"));
  taken("whitespace in tags", replaced(replaced(base, "</messageId>", "</messageId >"), "<request>", "<request >"));
  taken("zeep style", "<?xml version='1.0' encoding='utf-8'?>\n<soap-env:Envelope xmlns:soap-env=\"" + kSoap11 +
                          "\"><soap-env:Body><ns0:SendMessage xmlns:ns0=\"" + kTypes + "\"><request><requestInfo>" + kInfo +
                          "</requestInfo><requestData><data>" + kDocument + "</data></requestData></request></ns0:SendMessage>"
                          "</soap-env:Body></soap-env:Envelope>");
  taken("a prefix redeclared inside", replaced(base, "<sc:SendMessage>", "<sc:SendMessage xmlns:S=\"urn:other\">"));
  taken("declarations on text elements", info_with("<messageId>", "<messageId xmlns=\"\" xmlns:q=\"urn:q\">"));
  taken("predefined entities", info_with("<messageId>m-1", "<messageId>a&amp;b&lt;c&gt;d&quot;e&apos;f\"g'h>"));
  taken("character references", info_with("<senderId>akimat", "<senderId>&#65;&#x42;&#x416;&#99999;&#9;&#xA;&#xD;&#x7F;&#00065;"));
  taken("UTF-8", info_with("<password>x", "<password>Қазақстан Ёжик 😀 ü"));
  taken("whitespace kept in strings", info_with("<messageId>m-1", "<messageId> m-1 \r\n\t"));
  taken("empty optional elements", info_with("</messageId>", "</messageId><correlationId/>") + "");
  taken("empty password and sessionId",
        info_with("<password>x</password></sender>", "<password></password></sender><sessionId />"));
  taken("empty messageId (refused by the service, through gSOAP)", info_with("<messageId>m-1</messageId>", "<messageId/>"));
  taken("empty serviceId (refused, through gSOAP)", info_with("<serviceId>STAGE_NOTIFICATION</serviceId>", "<serviceId></serviceId>"));
  taken("empty messageDate", info_with("<messageDate>2026-11-22T10:00:00Z</messageDate>", "<messageDate/>"));
  taken("a document of two elements (refused, through gSOAP)", envelope(kInfo, "<a/><b/>"));
  taken("a document of text (refused, through gSOAP)", envelope(kInfo, "just text"));
  taken("a document with its own namespaces and comments", envelope(kInfo, "<!-- c --><x:d xmlns:x=\"urn:x\">t<!-- </data> --></x:d>"));
  taken("a document with a data element", envelope(kInfo, "<data><d/></data>"));

  taken("spaces around = and single quotes", replaced(base, "xmlns:sc=\"" + kTypes + "\"", "xmlns:sc = '" + kTypes + "'"));
  taken("tabs and newlines between declarations", replaced(base, "\" xmlns:sc=", "\"\n\txmlns:sc="));
  taken("children in a foreign default namespace", replaced(base, "<request>", "<request xmlns=\"urn:other\">"));
  // gSOAP then records the 1.2 encoding URI for SOAP-ENC.
  declined("SOAP 1.2 declaring the SOAP 1.1 encoding", replaced(replaced(base, kSoap11, kSoap12), "xmlns:sc=",
                                                                "xmlns:enc=\"http://schemas.xmlsoap.org/soap/encoding/\" xmlns:sc="));
  taken("SOAP 1.2 declaring XML Schema and the interfaces",
        replaced(replaced(base, kSoap11, kSoap12), "xmlns:sc=",
                 "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "
                 "xmlns:sci=\"http://bip.bee.kz/SyncChannel/v10/Interfaces\" xmlns:sc="));
  taken("SOAP 1.2, the types declared before the envelope's URI",
        "<e:Envelope xmlns:t=\"" + kTypes + "\" xmlns:e=\"" + kSoap12 + "\"><e:Body><t:SendMessage><request><requestInfo>" + kInfo +
            "</requestInfo><requestData><data>" + kDocument + "</data></requestData></request></t:SendMessage></e:Body></e:Envelope>");
  taken("a declaration on data", replaced(base, "<data>", "<data xmlns:x=\"urn:x\">"));
  taken("a foreign URI of 1000 characters", replaced(base, "xmlns:sc=", "xmlns:f=\"urn:" + std::string(996, 'f') + "\" xmlns:sc="));
  declined("a foreign URI of 2000 characters", replaced(base, "xmlns:sc=", "xmlns:f=\"urn:" + std::string(1996, 'f') + "\" xmlns:sc="));
  declined("a prefix beginning with xml", replaced(base, "xmlns:sc=", "xmlns:xmlx=\"urn:x\" xmlns:sc="));
  declined("an empty body", replaced(base, base.substr(base.find("<S:Body>"), base.find("</S:Body>") + 9 - base.find("<S:Body>")), "<S:Body/>"));
  declined("a header of another namespace", replaced(base, "<S:Body>", "<sc:Header/><S:Body>"));
  declined("a prefixed declaration with an empty URI", replaced(base, "xmlns:sc=", "xmlns:e=\"\" xmlns:sc="));
  declined("XML Schema of 1999", replaced(base, "xmlns:sc=", "xmlns:xsd=\"http://www.w3.org/1999/XMLSchema\" xmlns:sc="));
  declined("SOAP 1.2 encoding declared", replaced(base, "xmlns:sc=", "xmlns:enc=\"http://www.w3.org/2003/05/soap-encoding\" xmlns:sc="));
  declined("both envelope versions", replaced(base, "xmlns:sc=", "xmlns:e2=\"" + kSoap12 + "\" xmlns:sc="));
  declined("a header entry", replaced(base, "<S:Body>", "<S:Header><h xmlns=\"urn:h\" S:mustUnderstand=\"1\"/></S:Header><S:Body>"));
  declined("a header entry to ignore", replaced(base, "<S:Body>", "<S:Header><h xmlns=\"urn:h\">x</h></S:Header><S:Body>"));
  declined("routeId", info_with("</messageDate>", "</messageDate><routeId>r</routeId>"));
  declined("properties", info_with("</sender>", "</sender><properties><key>k</key><value>v</value></properties>"));
  declined("an unknown element", info_with("</messageId>", "</messageId><extra/>"));
  declined("a repeated element", info_with("</messageId>", "</messageId><messageId>m-2</messageId>"));
  declined("out of schema order", envelope("<serviceId>STAGE_NOTIFICATION</serviceId><messageId>m-1</messageId>"
                                           "<messageDate>2026-11-22T10:00:00Z</messageDate><sender><senderId>a</senderId></sender>"));
  declined("xsi:type", replaced(info_with("<messageId>", "<messageId xsi:type=\"xsd:string\">"), "xmlns:sc=",
                                "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:sc="));
  declined("xsi:nil", replaced(info_with("</messageId>", "</messageId><correlationId xsi:nil=\"true\"/>"), "xmlns:sc=",
                               "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:sc="));
  declined("id and href", replaced(base, "<request>", "<request id=\"r1\">"));
  declined("encodingStyle", replaced(base, "xmlns:sc=", "S:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\" xmlns:sc="));
  declined("an attribute on data", replaced(base, "<data>", "<data a=\"1\">"));
  declined("a comment between elements", info_with("</messageId>", "</messageId><!-- c -->"));
  declined("a comment in text", info_with("<messageId>m-1", "<messageId>m<!-- c -->-1"));
  declined("CDATA", info_with("<messageId>m-1", "<messageId><![CDATA[m-1]]>"));
  declined("a processing instruction", replaced(base, "<S:Body>", "<?pi x?><S:Body>"));
  declined("a comment before the envelope", replaced(base, "<S:Envelope", "<!-- c --><S:Envelope"));
  declined("DOCTYPE", replaced(base, "<S:Envelope", "<!DOCTYPE S:Envelope><S:Envelope"));
  declined("an HTML entity", info_with("<messageId>m-1", "<messageId>a&nbsp;b"));
  declined("a reference gSOAP reads only in part", info_with("<messageId>m-1", "<messageId>&#x10FFFF;"));
  declined("a reference to NUL", info_with("<messageId>m-1", "<messageId>a&#0;b"));
  declined("a reference to a control character", info_with("<messageId>m-1", "<messageId>a&#1;b"));
  declined("a reference to a surrogate", info_with("<messageId>m-1", "<messageId>a&#xD800;b"));
  declined("a reference to U+FFFE", info_with("<messageId>m-1", "<messageId>a&#xFFFE;b"));
  declined("an unterminated reference", info_with("<messageId>m-1", "<messageId>a&amp b"));
  declined("messageDate with whitespace", info_with("<messageDate>2026-11-22T10:00:00Z", "<messageDate> 2026-11-22T10:00:00Z "));
  declined("messageDate with a reference", info_with("<messageDate>2026-11-22T10:00:00Z", "<messageDate>2026-11-22T10&#58;00:00Z"));
  declined("invalid UTF-8", info_with("<messageId>m-1", "<messageId>m\xC3(1"));
  declined("overlong UTF-8", info_with("<messageId>m-1", "<messageId>m\xC0\xAF"));
  declined("a raw control character", info_with("<messageId>m-1", "<messageId>m\x01"));
  declined("a prefixed child", replaced(replaced(base, "<request>", "<sc:request>"), "</request>", "</sc:request>"));
  declined("Latin-1 declared", replaced(base, "encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\""));
  declined("a byte order mark", "\xEF\xBB\xBF" + base);
  declined("text after the envelope", base + "x");
  declined("a second element in the body", replaced(base, "</S:Body>", "<sc:SendMessage/></S:Body>"));
  declined("missing messageDate", info_with("<messageDate>2026-11-22T10:00:00Z</messageDate>", ""));
  declined("missing sender", info_with("<sender><senderId>akimat</senderId><password>x</password></sender>", ""));
  declined("the types namespace in other case", replaced(base, kTypes, "http://bip.bee.kz/SyncChannel/v10/types"));
  declined("an undeclared prefix", replaced(base, "<request>", "<request><q:x/>"));
  declined("an undeclared prefix on the operation", replaced(replaced(base, "<sc:SendMessage>", "<q:SendMessage>"), "</sc:SendMessage>", "</q:SendMessage>"));
  declined("text between elements", info_with("</messageId>", "</messageId>junk"));
  declined("markup in text", info_with("<messageId>m-1", "<messageId>m<b>1</b>"));
  declined("not an envelope", "<a>not an envelope</a>");
  declined("another operation", replaced(replaced(base, "<sc:SendMessage>", "<sc:Other>"), "</sc:SendMessage>", "</sc:Other>"));
  declined("no data element", replaced(base, "<requestData><data><d xmlns=\"urn:x\">ok</d></data></requestData>", "<requestData/>"));
  declined("CDATA in the document (the locator leaves it to gSOAP)", envelope(kInfo, "<d><![CDATA[<]]></d>"));
  declined("a reference of 7 characters (gSOAP leaves its ';' as text)", info_with("<messageId>m-1", "<messageId>&#x1F600;"));
  declined("a reference gSOAP reads only in part (leading zeros)", info_with("<messageId>m-1", "<messageId>&#0000065;"));

  // The signed samples (tests/data/attacks) as requestData/data, as the load generator sends them.
  for (const auto& [file, expected] : test::attack_manifest()) {
    auto document = test::read_text(test::attacks_dir() / file);
    if (document.starts_with("<?xml")) document.erase(0, document.find("?>") + 2);
    // The locator hands over no document it is not sure of (DOCTYPE, CDATA...): gSOAP reads those.
    const auto body = envelope(kInfo, document);
    cases.push_back({"sample " + file, body, adapters::locate_request_data(body).has_value()});
  }
  return cases;
}

class RecordingHandler final : public MessageHandler {
 public:
  Result<Receipt> handle(const InboundMessage&) override { return Receipt{41, "2026-11-22T10:00:00.000Z", false}; }
};

struct Services {
  RecordingHandler handler;
  adapters::ServerConfig config;
  SyncChannelService gsoap{handler, config};
  SyncChannelService plain{handler, config};
  Services() { gsoap.set_envelope_reading(SyncChannelService::EnvelopeReading::gsoap_only); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(send_message_reader)

BOOST_AUTO_TEST_CASE(the_reader_takes_the_listed_shapes_and_reads_them_as_gsoap_does) {
  std::size_t taken_count = 0;
  for (const auto& [name, body, taken] : corpus()) {
    BOOST_TEST_CONTEXT(name) {
      const auto span = adapters::locate_request_data(body);
      const auto read = span ? adapters::read_plain_send_message(body, *span) : std::nullopt;
      BOOST_TEST(read.has_value() == taken);
      if (taken) ++taken_count;

      Services services;
      const auto by_gsoap = services.gsoap.receive(framed(body));
      const auto by_plain = services.plain.receive(framed(body));
      BOOST_TEST(test::received_difference(by_gsoap, by_plain).empty(), test::received_difference(by_gsoap, by_plain));
      // The plain path was taken exactly when the reader read it and the service accepted it.
      BOOST_TEST(services.plain.envelopes_read_plain() == (read && by_gsoap.message ? 1u : 0u));
      BOOST_TEST(services.gsoap.envelopes_read_plain() == 0u);

      // The answers, as serve_bytes writes them: twice, the first captures the response template.
      for (int round = 0; round < 2; ++round) {
        const auto a = services.gsoap.serve_bytes(framed(body));
        const auto b = services.plain.serve_bytes(framed(body));
        BOOST_TEST(test::with_times_masked(a) == test::with_times_masked(b));
      }
      if (by_gsoap.message) {
        const Result<Receipt> refused = refuse(Code::SignatureInvalid, "digest mismatch");
        BOOST_TEST(test::with_times_masked(services.gsoap.complete(by_gsoap.reply_to, refused)) ==
                   test::with_times_masked(services.plain.complete(by_plain.reply_to, refused)));
      }
    }
  }
  BOOST_TEST(taken_count >= 30u);
}

// One service serving every shape in turn, taken and declined mixed: what the plain path
// leaves in the gSOAP context (nothing but soap->version) does not change the next answer.
BOOST_AUTO_TEST_CASE(one_service_serves_the_whole_corpus_in_turn) {
  Services services;
  const auto cases = corpus();
  for (int round = 0; round < 2; ++round)
    for (const auto& [name, body, taken] : cases) {
      BOOST_TEST_CONTEXT(name) {
        BOOST_TEST(test::with_times_masked(services.gsoap.serve_bytes(framed(body))) ==
                   test::with_times_masked(services.plain.serve_bytes(framed(body))));
      }
    }
  BOOST_TEST(services.plain.envelopes_read_plain() > 0u);
}

BOOST_AUTO_TEST_CASE(what_the_reader_reads) {
  const auto body = "<?xml version='1.0' encoding='UTF-8'?><e:Envelope xmlns:e=\"" + kSoap12 + "\"><e:Body><t:SendMessage xmlns:t=\"" +
                    kTypes +
                    "\"><request><requestInfo><messageId>a&amp;&#x416;</messageId><correlationId/><serviceId>S</serviceId>"
                    "<messageDate>2026-11-22T10:00:00Z</messageDate><sender><senderId>x</senderId></sender><sessionId> s </sessionId>"
                    "</requestInfo><requestData><data><d/></data></requestData></request></t:SendMessage></e:Body></e:Envelope>";
  const auto span = adapters::locate_request_data(body);
  BOOST_REQUIRE(span.has_value());
  const auto read = adapters::read_plain_send_message(body, *span);
  BOOST_REQUIRE(read.has_value());
  BOOST_TEST(read->fields.message_id == "a&Ж");
  BOOST_TEST(read->fields.correlation_id.value_or("(none)") == "");
  BOOST_TEST(read->fields.service_id == "S");
  BOOST_TEST(read->fields.message_date == "2026-11-22T10:00:00Z");
  BOOST_TEST(read->fields.sender_id == "x");
  BOOST_TEST(!read->fields.password.has_value());
  BOOST_TEST(read->fields.session_id.value_or("(none)") == " s ");
  // gSOAP 2.8.124 keeps version 1 for a 1.2 envelope and records the 1.2 envelope URI.
  BOOST_TEST(read->soap_version == 1);
  BOOST_TEST(read->namespace_uris == kSoap12 + std::string(6, '\0'));
}

BOOST_AUTO_TEST_CASE(the_reader_is_not_used_below_the_depth_it_needs) {
  RecordingHandler handler;
  adapters::ServerConfig config;
  config.max_xml_depth = 6;  // gSOAP refuses the envelope itself
  SyncChannelService service(handler, config);
  const auto served = service.receive(framed(envelope()));
  BOOST_TEST(service.envelopes_read_plain() == 0u);
  BOOST_TEST(!served.message.has_value());
}

BOOST_AUTO_TEST_SUITE_END()
