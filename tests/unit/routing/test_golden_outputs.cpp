// Differential test: the normalizers, to_json and the routing rules must keep producing, byte
// for byte, what they produced before the allocation work of issue 13 (tests/data/routing_golden.txt,
// written by the code of main at f0f3b97). The corpus: the samples, the signed documents under
// tests/data/attacks, and variants of the samples (optional fields absent, whitespace, escapes,
// Kazakh text, prefixed namespaces, each required field missing or malformed).
// STAGEGATE_WRITE_GOLDEN=1 test_routing -t golden_outputs rewrites the file instead of comparing.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "stagegate/routing/normalize.h"
#include "stagegate/routing/rules.h"
#include "support/files.h"

using namespace stagegate;
using namespace stagegate::routing;

namespace {

using Corpus = std::vector<std::pair<std::string, std::string>>;  // name, document

std::string sample(const char* file) { return test::read_text(std::string(STAGEGATE_SAMPLES) + "/" + file); }

// Every occurrence replaced; an absent `from` leaves the text as it is (the case still runs).
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::string without_element(const std::string& text, const std::string& name) {
  const auto start = text.find("<" + name);
  if (start == std::string::npos) return text;
  const auto close = "</" + name + ">";
  auto end = text.find(close, start);
  const auto self_closing = text.find("/>", start);
  const auto next_open = text.find('>', start);
  if (self_closing != std::string::npos && self_closing + 1 == next_open) end = self_closing + 2;
  else end = end == std::string::npos ? text.size() : end + close.size();
  std::string result = text;
  return result.erase(start, end - start);
}

// Every element of the document under prefix `prefix` (declarations left to the caller).
std::string prefixed(const std::string& text, const std::string& prefix) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] != '<' || i + 1 >= text.size()) continue;
    if (text[i + 1] == '/') {
      out += '/';
      ++i;
    }
    if (i + 1 < text.size() && ((text[i + 1] >= 'A' && text[i + 1] <= 'Z') || (text[i + 1] >= 'a' && text[i + 1] <= 'z')))
      out += prefix + ":";
  }
  return out;
}

std::string text_of(const std::string& document, const std::string& name) {
  const auto open = document.find("<" + name + ">");
  if (open == std::string::npos) return {};
  const auto start = open + name.size() + 2;
  return document.substr(start, document.find("</" + name + ">", start) - start);
}

// A value replaced inside <name>...</name> (the first one).
std::string with_text(const std::string& document, const std::string& name, const std::string& value) {
  const auto old = text_of(document, name);
  return replaced(document, "<" + name + ">" + old + "</", "<" + name + ">" + value + "</");
}

Corpus stage_corpus() {
  const auto base = sample("stage.xml");
  Corpus corpus{{"stage sample", base}};
  const auto add = [&](std::string name, std::string document) { corpus.emplace_back(std::move(name), std::move(document)); };
  const auto at_stage = [&](int stage, const std::string& extra) {
    return replaced(replaced(base, "<stage code=\"2\"", "<stage code=\"" + std::to_string(stage) + "\""),
                    "</StageNotification>", extra + "</StageNotification>");
  };
  for (const char* element : {"applicationId", "service", "provider", "recipient", "iin", "lastName", "firstName",
                              "middleName", "receptionPlace", "receptionDate", "executor", "plannedDate", "stage"})
    add(std::string("without ") + element, without_element(base, element));
  const std::string executed = "<executionDate>2026-11-21T09:00:00+05:00</executionDate>";
  add("stage 1", at_stage(1, ""));
  add("stage 1 without executor", without_element(at_stage(1, ""), "executor"));
  add("stage 3", at_stage(3, ""));
  add("stage 4 without executionDate", at_stage(4, ""));
  add("stage 4", at_stage(4, executed));
  add("stage 5 delayed", at_stage(5, executed + "<delayReason kind=\"TECHNICAL\"> сбой \"ИС\" </delayReason>"));
  add("stage 5 delayed other", at_stage(5, executed + "<delayReason kind=\"OTHER\">ждём &amp; ждём</delayReason>"));
  add("stage 5 delay bad kind", at_stage(5, executed + "<delayReason kind=\"LATE\">x</delayReason>"));
  add("stage 5 delay no kind", at_stage(5, executed + "<delayReason>x</delayReason>"));
  add("stage 6 issued", at_stage(6, executed + "<outcome>ISSUED</outcome>"));
  add("stage 6 refused", at_stage(6, executed + "<outcome> REFUSED </outcome>"));
  add("stage 6 no outcome", at_stage(6, executed));
  add("stage 6 blank outcome", at_stage(6, executed + "<outcome>  </outcome>"));
  add("stage 6 bad outcome", at_stage(6, executed + "<outcome>MAYBE</outcome>"));
  add("stage 6 with delay", at_stage(6, executed + "<outcome>ISSUED</outcome><delayReason kind=\"OTHER\"/>"));
  add("stage 2 with outcome", at_stage(2, "<outcome>ISSUED</outcome>"));
  add("stage 2 with blank outcome", at_stage(2, "<outcome/>"));
  add("stage 7", at_stage(7, ""));
  add("stage 0", at_stage(0, ""));
  add("stage code 22", replaced(base, "code=\"2\"", "code=\"22\""));
  add("stage code blank", replaced(base, "code=\"2\"", "code=\"\""));
  add("stage code spaced", replaced(base, "code=\"2\"", "code=\" 2\""));
  add("stage no at", replaced(base, " at=\"2026-11-20T10:42:00+05:00\"", ""));
  add("stage at without offset", replaced(base, "at=\"2026-11-20T10:42:00+05:00\"", "at=\"2026-11-20T10:42:00\""));
  add("stage at Z fraction", replaced(base, "at=\"2026-11-20T10:42:00+05:00\"", "at=\"2026-11-20T05:42:00.125Z\""));
  add("stage at impossible", replaced(base, "at=\"2026-11-20T10:42:00+05:00\"", "at=\"2026-02-30T10:42:00+05:00\""));
  add("stage at before reception", replaced(base, "at=\"2026-11-20T10:42:00+05:00\"", "at=\"2026-11-20T10:14:00+05:00\""));
  add("stage at future", replaced(base, "at=\"2026-11-20T10:42:00+05:00\"", "at=\"2027-11-20T10:42:00+05:00\""));
  add("stage at with tab", replaced(base, "at=\"2026-11-20T10:42:00+05:00\"", "at=\"2026-11-20T10:42:00+05:00&#9;\""));
  add("executionDate before reception", at_stage(4, "<executionDate>2026-11-19T09:00:00+05:00</executionDate>"));
  add("executionDate future", at_stage(4, "<executionDate>2030-11-19T09:00:00+05:00</executionDate>"));
  add("executionDate no offset", at_stage(4, "<executionDate>2026-11-21T09:00:00</executionDate>"));
  add("executionDate bad", at_stage(4, "<executionDate>yesterday</executionDate>"));
  add("executionDate at stage 2", at_stage(2, executed));
  add("receptionDate no offset", with_text(base, "receptionDate", "2026-11-20T10:15:00"));
  add("receptionDate bad", with_text(base, "receptionDate", "2026-13-20T10:15:00+05:00"));
  add("receptionDate future", with_text(base, "receptionDate", "2036-11-20T10:15:00+05:00"));
  add("receptionDate bad offset", with_text(base, "receptionDate", "2026-11-20T10:15:00+15:00"));
  add("receptionDate spaced", with_text(base, "receptionDate", "\n   2026-11-20T10:15:00+05:00 \t"));
  add("plannedDate offset", with_text(base, "plannedDate", "2026-11-25+05:00"));
  add("plannedDate Z", with_text(base, "plannedDate", "2026-11-25Z"));
  add("plannedDate bad", with_text(base, "plannedDate", "2026-11-31"));
  add("plannedDate blank", with_text(base, "plannedDate", "   "));
  add("plannedDate datetime", with_text(base, "plannedDate", "2026-11-25T00:00:00"));
  add("applicationId spaced", with_text(base, "applicationId", "  002145678912\r\n"));
  add("applicationId blank", with_text(base, "applicationId", " "));
  add("applicationId bad chars", with_text(base, "applicationId", "0021 45678912"));
  add("applicationId long", with_text(base, "applicationId", std::string(65, 'A')));
  add("applicationId 64", with_text(base, "applicationId", std::string(64, 'a') ));
  add("applicationId punctuation", with_text(base, "applicationId", "A-1_2.3/4"));
  add("service code missing", replaced(base, " code=\"Z22-74\"", ""));
  add("service code bad", replaced(base, "code=\"Z22-74\"", "code=\"Z22 74\""));
  add("service code long", replaced(base, "code=\"Z22-74\"", "code=\"" + std::string(33, 'Z') + "\""));
  add("service name blank", with_text(base, "service", " \t "));
  add("service name escapes", with_text(base, "service", "\"Quoted\" \\ back&#9;tab&#10;nl&#13;cr &#x1F; &lt;&gt;&amp;&apos;"));
  add("service name cdata", with_text(base, "service", "<![CDATA[a <b> & \"c\"]]>"));
  add("service name mixed", with_text(base, "service", "Выдача<![CDATA[ справки]]> тут"));
  add("provider bin missing", replaced(base, " bin=\"050140001238\"", ""));
  add("provider bin check digit", replaced(base, "bin=\"050140001238\"", "bin=\"050140001239\""));
  add("provider bin short", replaced(base, "bin=\"050140001238\"", "bin=\"05014000123\""));
  add("provider name blank", with_text(base, "provider", ""));
  add("provider name kazakh", with_text(base, "provider", "  Алматы қаласының әкімдігі — ҚР  "));
  add("recipient bin", replaced(base, "<iin>920315450126</iin>", "<bin>050140001238</bin>"));
  add("recipient both", replaced(base, "<iin>920315450126</iin>", "<iin>920315450126</iin><bin>050140001238</bin>"));
  add("recipient iin check digit", with_text(base, "iin", "920315450127"));
  add("recipient iin letters", with_text(base, "iin", "92031545012x"));
  add("recipient iin spaced", with_text(base, "iin", " 920315450126 "));
  add("recipient iin blank", with_text(base, "iin", ""));
  add("recipient bin blank", replaced(base, "<iin>920315450126</iin>", "<bin> </bin>"));
  add("recipient iin twice", replaced(base, "<iin>920315450126</iin>", "<iin>920315450126</iin><iin>920315450126</iin>"));
  add("recipient unknown child", replaced(base, "<iin>920315450126</iin>", "<iin>920315450126</iin><phone>1</phone>"));
  add("recipient foreign child", replaced(base, "<iin>920315450126</iin>",
                                          "<iin>920315450126</iin><x:lastName xmlns:x=\"urn:other\">A</x:lastName>"));
  add("recipient prefixed child", replaced(base, "<iin>920315450126</iin>",
                                           "<s:iin xmlns:s=\"urn:stagegate:stage:1\">920315450126</s:iin>"));
  add("recipient names blank", with_text(with_text(base, "lastName", " "), "firstName", " "));
  add("recipient firstName blank", with_text(base, "firstName", "\t"));
  add("recipient middleName blank", with_text(base, "middleName", ""));
  add("recipient names kazakh", with_text(with_text(base, "lastName", " Әбілқайыр-Ұлы "), "firstName", "Ғалия Өмірзаққызы"));
  add("recipient names escapes", with_text(base, "lastName", "O'Brien \"Jr\" \\ &#1;&#127;"));
  add("receptionPlace blank", with_text(base, "receptionPlace", "  "));
  add("receptionPlace long", with_text(base, "receptionPlace", std::string(3000, 'x') + "Ққ\"" + std::string(17, 'y')));
  add("executor blank", with_text(base, "executor", " "));
  add("executor escapes", with_text(base, "executor", "a\\b\"c\nd"));
  add("unknown element", replaced(base, "</StageNotification>", "<zeta>1</zeta><alpha>2</alpha></StageNotification>"));
  add("unknown elements sorted", replaced(base, "<applicationId>", "<zz>1</zz><mm>1</mm><applicationId>"));
  add("duplicate element", replaced(base, "<receptionPlace>", "<receptionPlace>A</receptionPlace><receptionPlace>"));
  add("duplicate unknown", replaced(base, "<receptionPlace>", "<foo/><foo/><receptionPlace>"));
  add("foreign element", replaced(base, "<receptionPlace>", "<o:note xmlns:o=\"urn:other\">x</o:note><receptionPlace>"));
  add("foreign default ns", replaced(base, "<receptionPlace>", "<note xmlns=\"urn:other\">x</note><receptionPlace>"));
  add("foreign ns with tab", replaced(base, "<receptionPlace>", "<note xmlns=\"urn:o&#9;ther\">x</note><receptionPlace>"));
  add("no namespace element", replaced(base, "<receptionPlace>", "<note xmlns=\"\">x</note><receptionPlace>"));
  add("undeclared prefix", replaced(base, "<receptionPlace>", "<q:note>x</q:note><receptionPlace>"));
  add("signature child", replaced(base, "</StageNotification>",
                                  "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X/></ds:Signature>"
                                  "</StageNotification>"));
  add("dsig other element", replaced(base, "</StageNotification>",
                                     "<ds:Other xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/></StageNotification>"));
  add("stage-ns signature", replaced(base, "</StageNotification>", "<Signature/></StageNotification>"));
  add("comments and PIs", replaced(replaced(base, "<applicationId>", "<!-- c --><?pi x?><applicationId>"),
                                   "<iin>920315450126", "<iin><!--x-->920315450126"));
  add("wrong root", replaced(base, "StageNotification", "StageNote"));
  add("wrong root ns", replaced(base, "urn:stagegate:stage:1", "urn:stagegate:stage:2"));
  add("root no ns", replaced(base, " xmlns=\"urn:stagegate:stage:1\"", ""));
  add("malformed", replaced(base, "</recipient>", "</recipients>"));
  add("malformed truncated", base.substr(0, base.size() / 2));
  add("empty", "");
  add("not xml", "hello");
  add("crlf", replaced(base, "\n", "\r\n"));
  add("entities in attributes", replaced(base, "code=\"Z22-74\"", "code=\"Z22&#45;74\""));
  const auto prefixed_doc = replaced(prefixed(base, "s"), "<s:StageNotification xmlns=", "<s:StageNotification xmlns:s=");
  add("prefixed", prefixed_doc);
  add("prefixed and default", replaced(prefixed(base, "s"), "<s:StageNotification xmlns=",
                                       "<s:StageNotification xmlns=\"urn:other\" xmlns:s="));
  add("prefixed wrong", replaced(prefixed(base, "s"), "<s:StageNotification xmlns=", "<s:StageNotification xmlns:t="));
  add("prefix redeclared on child", replaced(prefixed_doc, "<s:recipient>", "<s:recipient xmlns:s=\"urn:other\">"));
  add("default redeclared on child", replaced(base, "<recipient>", "<recipient xmlns=\"urn:other\">"));
  add("default redeclared same", replaced(base, "<recipient>", "<recipient xmlns=\"urn:stagegate:stage:1\">"));
  add("whitespace everywhere", replaced(replaced(replaced(base, ">", ">\n\t  "), "</", " \r\n</"), "  </", "</"));
  add("nested element in text", with_text(base, "receptionPlace", "ЦОН <b>1</b> tail"));
  add("element before text", with_text(base, "receptionPlace", "<b>1</b>ЦОН"));
  add("utf8 boundary", with_text(base, "executor", "1234567\"Ә12345\\Ә"));
  return corpus;
}

Corpus service_info_corpus() {
  const auto base = sample("service-info.xml");
  Corpus corpus{{"kb sample", base}};
  const auto add = [&](std::string name, std::string document) { corpus.emplace_back(std::move(name), std::move(document)); };
  for (const char* element : {"registryNumber", "name", "standard", "regulation", "legalChanges", "url", "responsible",
                              "fullName", "position", "phone", "email", "body"})
    add(std::string("kb without ") + element, without_element(base, element));
  add("kb without both names", without_element(without_element(base, "name"), "name"));
  add("kb name lang other", replaced(base, "lang=\"kk\"", "lang=\"en\""));
  add("kb name lang missing", replaced(base, " lang=\"kk\"", ""));
  add("kb name repeated", replaced(base, "lang=\"kk\"", "lang=\"ru\""));
  add("kb name third", replaced(base, "<standard>", "<name lang=\"kk\">Тағы</name><standard>"));
  add("kb name blank", replaced(base, "<name lang=\"kk\">", "<name lang=\"kk\"> </name><x lang=\"kk\">"));
  add("kb blank fields", with_text(with_text(base, "standard", " "), "url", ""));
  add("kb spaced", replaced(replaced(base, ">", ">  "), "</", "\t</"));
  add("kb email bad", with_text(base, "email", "nobody"));
  add("kb email blank", with_text(base, "email", " "));
  add("kb phone blank", with_text(base, "phone", ""));
  add("kb body bin bad", replaced(base, "<body bin=\"050140001238\"", "<body bin=\"050140001239\""));
  add("kb body bin missing", replaced(base, "<body bin=\"050140001238\"", "<body"));
  add("kb body name blank", replaced(base, ">Акимат города Алматы</body>", "> </body>"));
  add("kb escapes", with_text(with_text(base, "standard", "\"q\" \\ &#9;&#10;&#2;"), "legalChanges", "&lt;a&gt; &amp;"));
  add("kb legalChanges blank", with_text(base, "legalChanges", ""));
  add("kb unknown", replaced(base, "<url>", "<zz/><aa/><url>"));
  add("kb duplicate", replaced(base, "<url>", "<url>x</url><url>"));
  add("kb responsible unknown", replaced(base, "<email>", "<fax>1</fax><email>"));
  add("kb responsible duplicate", replaced(base, "<email>", "<email>a@b</email><email>"));
  add("kb responsible foreign", replaced(base, "<email>", "<o:email xmlns:o=\"urn:o\">a@b</o:email><email>"));
  add("kb foreign", replaced(base, "<url>", "<o:url xmlns:o=\"urn:o\">x</o:url><url>"));
  add("kb prefixed", replaced(prefixed(base, "k"), "<k:ServiceInfo xmlns=", "<k:ServiceInfo xmlns:k="));
  add("kb wrong ns", replaced(base, "urn:stagegate:kb:1", "urn:stagegate:kb:2"));
  add("kb malformed", replaced(base, "</body>", "</bod>"));
  add("kb cdata", with_text(base, "regulation", "<![CDATA[\"x\" & y]]>"));
  return corpus;
}

Corpus attack_corpus() {
  Corpus corpus;
  const std::filesystem::path directory = std::string(STAGEGATE_TEST_DATA) + "/attacks";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory))
    if (entry.path().extension() == ".xml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) corpus.emplace_back("attacks/" + file.filename().string(), test::read_text(file));
  return corpus;
}

// The rules of test_rules.cpp's projection case: each kind of filter the writer must honour.
constexpr std::string_view kFilterRules = R"(
format = 1
[destinations.all]
fields = ["*"]
[destinations.names_hidden]
fields = ["*"]
hide = ["recipient.lastName", "recipient.firstName", "recipient.middleName"]
[destinations.no_recipient]
fields = ["*"]
hide = ["recipient", "stage.at", "name.kk", "responsible"]
[destinations.few]
fields = ["applicationId", "provider.name", "stage", "plannedDate", "outcome", "registryNumber", "body.name", "url"]
[destinations.nothing_of_objects]
fields = ["applicationId", "delayReason.text", "name.ru"]
[destinations.parts]
fields = ["service.code", "recipient.iin", "recipient.bin", "stage.name", "delayReason", "responsible.email", "receivedAt"]
hide = ["delayReason.kind"]
[[routes]]
to = ["all", "names_hidden", "no_recipient", "few", "nothing_of_objects", "parts"]
)";

// Appends one labelled value, length-prefixed so that any bytes survive.
void record(std::string& out, std::string_view label, std::string_view value) {
  out.append(label).append(" ").append(std::to_string(value.size())).append("\n").append(value).append("\n");
}

template <typename Message>
void record_routes(std::string& out, const RoutingRules& rules, std::string_view rules_name, const RoutingKey& key,
                   const Message& message, const std::string& whole) {
  const auto written = rules.route(key, whole, [&](const FieldFilter& keep) { return to_json(message, keep); });
  for (const auto& routed : written)
    record(out, std::string(rules_name) + " written " + routed.destination, routed.payload);
  // Projected from the whole JSON: mostly the same bytes, recorded as such to keep the file short.
  const auto projected = rules.route(key, whole);
  for (std::size_t i = 0; i < projected.size(); ++i) {
    const auto label = std::string(rules_name) + " projected " + projected[i].destination;
    if (i < written.size() && projected[i].payload == written[i].payload) out.append(label).append(" = written\n");
    else record(out, label, projected[i].payload);
  }
}

std::string outputs() {
  const auto received = std::chrono::sys_days{std::chrono::year{2026} / 11 / 26} + std::chrono::hours{6} +
                        std::chrono::minutes{1} + std::chrono::milliseconds{234};
  const auto defaults = RoutingRules::defaults();
  const auto filters = RoutingRules::parse(kFilterRules, "golden");
  std::string out;
  Corpus corpus = stage_corpus();
  for (auto& entry : service_info_corpus()) corpus.push_back(std::move(entry));
  for (auto& entry : attack_corpus()) corpus.push_back(std::move(entry));
  for (const auto& [name, document] : corpus) {
    out.append("== ").append(name).append("\n");
    // The signed documents differ from the samples in their signatures only: their routes
    // would repeat the samples'.
    const bool with_routes = !name.starts_with("attacks/");
    if (const auto event = normalize_stage(document, received)) {
      const auto whole = to_json(event.value());
      record(out, "stage json", whole);
      const RoutingKey key{"STAGE_NOTIFICATION", event->service_code, event->stage, event->provider_bin};
      if (with_routes) record_routes(out, defaults, "defaults", key, event.value(), whole);
      if (with_routes) record_routes(out, filters, "filters", key, event.value(), whole);
    } else {
      record(out, "stage refusal", std::string(contract_code(event.refusal().code)) + ": " + event.refusal().reason);
    }
    if (const auto info = normalize_service_info(document)) {
      const auto whole = to_json(info.value());
      record(out, "kb json", whole);
      const RoutingKey key{"SERVICE_INFO", info->registry_number, std::nullopt, info->body_bin};
      if (with_routes) record_routes(out, defaults, "defaults", key, info.value(), whole);
      if (with_routes) record_routes(out, filters, "filters", key, info.value(), whole);
    } else {
      record(out, "kb refusal", std::string(contract_code(info.refusal().code)) + ": " + info.refusal().reason);
    }
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(golden_outputs)

BOOST_AUTO_TEST_CASE(outputs_equal_those_of_the_code_before_the_allocation_work) {
  const std::string golden_file = std::string(STAGEGATE_TEST_DATA) + "/routing_golden.txt";
  const auto actual = outputs();
  if (std::getenv("STAGEGATE_WRITE_GOLDEN")) {
    std::ofstream(golden_file, std::ios::binary) << actual;
    return;
  }
  const auto expected = test::read_text(golden_file);
  BOOST_REQUIRE_MESSAGE(!expected.empty(), golden_file + " is missing");
  if (actual == expected) return;
  // The first differing case, to say where.
  const auto differ = std::mismatch(actual.begin(), actual.end(), expected.begin(), expected.end());
  const auto at = static_cast<std::size_t>(differ.first - actual.begin());
  const auto case_start = expected.rfind("== ", at);
  BOOST_ERROR("outputs differ from " + golden_file + " at byte " + std::to_string(at) + ", case:\n" +
              expected.substr(case_start == std::string::npos ? 0 : case_start, 600) + "\n-- actual:\n" +
              actual.substr(case_start == std::string::npos ? 0 : case_start, 600));
}

BOOST_AUTO_TEST_SUITE_END()
