// Our exclusive c14n writer (signing/src/exclusive_c14n.h) against libxml2's xmlC14NExecute,
// which it replaces on the direct verification path: byte-identical output, or a decline the
// test names (so a writer that starts declining what it handled shows up as a failure, not
// as a slower verifier). Over every document under tests/data, tests/fuzz/corpus and
// ops/samples, and hand-written cases for each rule of the specification and each of
// libxml2's readings of it; each in both node sets the verifier uses (the document without
// a Signature, by URI="" and by the root's Id; an element alone in its ancestors' context)
// and with several InclusiveNamespaces PrefixLists.
#include <boost/test/unit_test.hpp>
#include <libxml/parser.h>

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "document_guard.h"
#include "handles.h"
#include "support/c14n_differential.h"
#include "support/files.h"

namespace stagegate::signing {
// For Boost.Test's messages (found by argument-dependent lookup).
std::ostream& operator<<(std::ostream& out, C14nOutcome outcome) { return out << describe(outcome); }
}  // namespace stagegate::signing

using namespace stagegate;
using namespace stagegate::signing;
namespace fs = std::filesystem;

namespace {

const std::vector<std::vector<std::string>> kPrefixLists{
    {}, {"#default"}, {""}, {"a"}, {"a", "b", "#default"}, {"ds", "xml"}, {"s", "s"}, {"unused", "xsi"},
};

bool is_signature(xmlNodePtr node) {
  return node->type == XML_ELEMENT_NODE && xmlStrEqual(node->name, BAD_CAST "Signature");
}

// The element named Signature nearest the root, as the enveloped-signature transform would
// remove it (the verifier only ever removes a child of the root; any depth works here).
xmlNodePtr find_signature(xmlNodePtr node) {
  for (; node; node = node->next) {
    if (node->type != XML_ELEMENT_NODE) continue;
    if (is_signature(node)) return node;
    if (const auto found = find_signature(node->children)) return found;
  }
  return nullptr;
}

void collect_elements(xmlNodePtr node, std::vector<xmlNodePtr>& elements) {
  for (; node; node = node->next)
    if (node->type == XML_ELEMENT_NODE) {
      elements.push_back(node);
      collect_elements(node->children, elements);
    }
}

// libxml2 reports c14n failures (relative namespace URIs...) on stderr; the outcomes are checked.
extern "C" void quiet(void*, const char*, ...) {}

struct Quiet {
  Quiet() { xmlSetGenericErrorFunc(nullptr, quiet); }
  ~Quiet() { xmlSetGenericErrorFunc(nullptr, nullptr); }
};

// Every node set and PrefixList on one document: each comparison must agree; returns how
// many were written by our writer, and the outcome of the first (the whole document without
// its Signature, no PrefixList) in `document_outcome`.
struct Tally {
  int written = 0;
  int declined = 0;
  C14nOutcome document_outcome = C14nOutcome::written;
};

Tally compare_everywhere(xmlDocPtr doc, const std::string& label) {
  Tally tally;
  const auto count = [&](const test::C14nComparison& comparison, const std::string& what) {
    BOOST_TEST(comparison.agrees(), label << " " << what << ": " << comparison.explain());
    (comparison.ours == C14nOutcome::written ? tally.written : tally.declined)++;
  };
  const xmlNodePtr signature = find_signature(doc->children);
  std::vector<xmlNodePtr> elements;
  collect_elements(doc->children, elements);
  bool first = true;
  for (const auto& prefixes : kPrefixLists) {
    const std::string list = "PrefixList[" + std::to_string(prefixes.size()) + "]" + (prefixes.empty() ? "" : prefixes[0]);
    for (const bool root_only : {false, true}) {
      const auto comparison = test::compare_c14n_of_document(doc, root_only, signature, prefixes);
      if (first) tally.document_outcome = comparison.ours;
      first = false;
      count(comparison, "document" + std::string(root_only ? " (root only) " : " ") + list);
    }
    count(test::compare_c14n_of_document(doc, false, nullptr, prefixes), "document with its Signature " + list);
    for (const auto element : elements)
      count(test::compare_c14n_of_subtree(element, prefixes),
            "subtree <" + std::string(reinterpret_cast<const char*>(element->name)) + "> " + list);
  }
  return tally;
}

// The hand-written cases: what the verifier's parser makes of them, and our writer's outcome
// on the whole document (written: then in every node set and PrefixList too).
struct Case {
  const char* name;
  std::string xml;
  C14nOutcome expected = C14nOutcome::written;
};

std::string nested(int depth) {
  std::string xml;
  for (int i = 0; i < depth; ++i)
    xml += "<n" + std::to_string(i % 3) + ":e xmlns:n" + std::to_string(i % 3) + "=\"urn:level:" + std::to_string(i % 2) +
           "\" n" + std::to_string(i % 3) + ":at=\"" + std::to_string(i) + "\">";
  xml += "глубоко";
  for (int i = depth - 1; i >= 0; --i) xml += "</n" + std::to_string(i % 3) + ":e>";
  return xml;
}

// More namespace URIs than the writer remembers per thread (16), each used, so remembered
// ones are replaced while the document is written.
std::string many_namespaces(int count) {
  std::string xml = "<r>";
  for (int i = 0; i < count; ++i)
    xml += "<p" + std::to_string(i) + ":e xmlns:p" + std::to_string(i) + "=\"urn:many:" + std::to_string(i % 24) + "\"/>";
  return xml + "</r>";
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all{
      {"default namespace undeclared with xmlns=\"\"",
       "<r xmlns=\"urn:r\"><c xmlns=\"\"><d/><e xmlns=\"urn:e\"><f xmlns=\"\"/></e></c><g/></r>"},
      {"no namespace under a prefixed root", "<p:r xmlns:p=\"urn:p\" xmlns=\"urn:unused\"><c/></p:r>"},
      {"prefixes used only by attributes",
       "<r xmlns:a=\"urn:a\" xmlns:b=\"urn:b\"><c a:x=\"1\"><d b:y=\"2\" a:z=\"3\"/></c></r>"},
      {"prefix redeclared with the same URI",
       "<a:r xmlns:a=\"urn:a\"><a:c xmlns:a=\"urn:a\"><a:d xmlns:a=\"urn:a\"/></a:c></a:r>"},
      {"prefix redeclared with another URI and back",
       "<a:r xmlns:a=\"urn:a\"><a:c xmlns:a=\"urn:b\"><a:d xmlns:a=\"urn:a\" a:t=\"x\"/></a:c><a:e/></a:r>"},
      {"default namespace redeclared and reused",
       "<r xmlns=\"urn:a\"><c xmlns=\"urn:b\"><d xmlns=\"urn:a\"/></c><e xmlns=\"urn:a\"/></r>"},
      {"namespaces declared on the excluded Signature",
       "<r xmlns=\"urn:r\" Id=\"s-1\"><a>1</a><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" "
       "xmlns=\"urn:other\" xmlns:x=\"urn:x\"><ds:SignedInfo><x:y/><z/></ds:SignedInfo></ds:Signature><b/></r>"},
      {"Signature first, with the default namespace",
       "<r xmlns:s=\"urn:s\"><Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo s:a=\"1\">"
       "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></SignedInfo></Signature>"
       "<s:a>t</s:a></r>"},
      {"attributes needing escaping", "<r a=\"&#9;tab&#10;nl&#13;cr &quot;q&quot; &amp; &lt; > '\" b='\"'/>"},
      {"attribute whitespace normalized by the parser", "<r a=\"x\ty\nz\r\nw\"/>"},
      {"text with carriage returns, > and &", "<r>a&#13;b\r\nc&gt;d &amp; e > f &lt;g&#xD;</r>"},
      {"CDATA sections", "<r><![CDATA[<x>&amp;]]]]><![CDATA[>\r\n]]>tail</r>"},
      {"PIs inside and outside the root",
       "<?before one?><?before-empty?>\n<!-- comment -->\n<r><?inside  spaced  data ?><c><?empty?></c></r>\n<?after two?>"
       "<!-- after -->"},
      {"whitespace outside the root", "  \n<r>\n  <c> x </c>\n</r>\n\t \n"},
      {"comments inside (dropped)", "<r><!-- c1 --><c>a<!-- c2 -->b</c></r>"},
      {"Kazakh and Russian text and attributes",
       "<r xmlns:қ=\"urn:kz\" қ:атау=\"Алматы қаласы\" имя=\"Ёлка\"><қ:мәтін>Қазақстан Республикасы — Россия</қ:мәтін></r>"},
      {"deep nesting with prefixes redeclared", nested(60)},
      {"more namespace URIs than the writer remembers", many_namespaces(60)},
      {"attribute order by namespace URI then local name",
       "<r xmlns:b=\"urn:a\" xmlns:a=\"urn:b\" xmlns:c=\"urn:a:\" b:z=\"1\" a:y=\"2\" z=\"3\" a=\"4\" c:a=\"5\" b:a=\"6\" "
       "xml:lang=\"kk\" xml:space=\"preserve\"/>"},
      {"namespace order by prefix", "<z:r xmlns:z=\"urn:1\" xmlns:a=\"urn:2\" xmlns:m=\"urn:3\" a:x=\"\" m:y=\"\"/>"},
      {"xml:* attributes on ancestors", "<r xml:lang=\"ru\" xml:space=\"preserve\"><c xml:lang=\"kk\"><d/></c></r>"},
      {"empty element and empty attribute", "<r a=\"\"><c/><d></d></r>"},
      {"namespace URIs with query, fragment, port and percent",
       "<a:r xmlns:a=\"http://example.com:8080/p%20q?x=1;y=2#f\" xmlns:b=\"urn:oid:1.2.3\"><b:c/></a:r>"},
      {"SOAP envelope with a signed body",
       "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" "
       "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soap:Body><m:send xmlns:m=\"urn:m\">"
       "<m:data xsi:type=\"m:T\">v</m:data></m:send></soap:Body></soap:Envelope>"},
      // Declined, and libxml2 fails as well (C14N forbids relative namespace URIs).
      {"relative namespace URI", "<r xmlns:a=\"relative/path\"><a:c/></r>", C14nOutcome::declined_namespace_uri},
      {"relative default namespace URI", "<r><c xmlns=\"rel\"/></r>", C14nOutcome::declined_namespace_uri},
      {"namespace URI xmlParseURI refuses", "<r xmlns:a=\"urn:a b\"/>", C14nOutcome::declined_namespace_uri},
      // libxml2's parser keeps &amp; in a namespace URI as "&#38;": here a fragment, so the
      // URI parses and is written as libxml2 keeps it; in an authority it would not parse.
      {"namespace URI with an escaped ampersand before a fragment", "<r xmlns:a=\"urn:a?x=1&amp;y=2\"/>"},
      {"namespace URI with an escaped ampersand that does not parse",
       "<r xmlns:a=\"http://example.com:80&amp;/\"/>", C14nOutcome::declined_namespace_uri},
  };
  return all;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(exclusive_c14n)

BOOST_AUTO_TEST_CASE(hand_written_cases_match_libxml2_or_decline_as_expected) {
  Quiet quiet;
  for (const auto& c : cases()) {
    auto doc = parse_guarded(c.xml, DocumentLimits{});
    BOOST_REQUIRE_MESSAGE(doc, c.name << ": " << (doc ? "" : doc.refusal().reason));
    const auto tally = compare_everywhere(doc->get(), c.name);
    BOOST_TEST(tally.document_outcome == c.expected, c.name << ": " << describe(tally.document_outcome));
    if (c.expected == C14nOutcome::written) BOOST_TEST(tally.declined == 0, c.name << ": declined somewhere");
  }
}

BOOST_AUTO_TEST_CASE(canonical_bytes_of_the_rules) {
  // A few outputs spelled out, so a shared misreading of the specification by both writers
  // would at least have to be this one.
  const auto written = [](const std::string& xml, const std::vector<std::string>& prefixes = {}) {
    auto doc = parse_guarded(xml, DocumentLimits{});
    BOOST_REQUIRE(doc);
    std::string out;
    BOOST_REQUIRE(exclusive_c14n_of_document(doc->get(), false, nullptr, prefixes, out) == C14nOutcome::written);
    return out;
  };
  BOOST_TEST(written("<?a b?><r xmlns:u=\"urn:u\" z=\"1\" a=\"&#9;&quot;\">x&#13;&gt;</r><?c?>") ==
             "<?a b?>\n<r a=\"&#x9;&quot;\" z=\"1\">x&#xD;&gt;</r>\n<?c?>");
  BOOST_TEST(written("<r xmlns=\"urn:r\"><c xmlns=\"\"/></r>") == "<r xmlns=\"urn:r\"><c xmlns=\"\"></c></r>");
  BOOST_TEST(written("<r xmlns:a=\"urn:a\"><c a:x=\"1\"/></r>") == "<r><c xmlns:a=\"urn:a\" a:x=\"1\"></c></r>");
  BOOST_TEST(written("<r xmlns:a=\"urn:a\"><c/></r>", {"a"}) == "<r xmlns:a=\"urn:a\"><c></c></r>");
  BOOST_TEST(written("<r xmlns=\"urn:r\"><c/></r>", {"#default"}) == "<r xmlns=\"urn:r\"><c></c></r>");
}

BOOST_AUTO_TEST_CASE(documents_with_a_dtd_or_entity_references_are_declined) {
  // The verifier's parser refuses DOCTYPE; libxml2's plain parser keeps the DTD node and,
  // without entity substitution, entity reference nodes: both left to libxml2.
  Quiet quiet;
  for (const std::string xml : {"<!DOCTYPE r [<!ENTITY e \"v\">]><r>&e;</r>",
                                "<!DOCTYPE r [<!ENTITY e \"v\">]><r a=\"&e;\"><c>&e;</c></r>"}) {
    XmlDoc doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr, XML_PARSE_NONET));
    BOOST_REQUIRE(doc);
    const auto tally = compare_everywhere(doc.get(), xml);
    BOOST_TEST(tally.document_outcome == C14nOutcome::declined_node, describe(tally.document_outcome));
    const xmlNodePtr root = xmlDocGetRootElement(doc.get());
    std::string out;
    const auto outcome = exclusive_c14n_of_subtree(root, {}, out);
    BOOST_TEST((outcome == C14nOutcome::declined_node || outcome == C14nOutcome::declined_attribute), describe(outcome));
  }
}

BOOST_AUTO_TEST_CASE(every_stored_document_matches_libxml2) {
  Quiet quiet;
  std::vector<fs::path> files;
  for (const fs::path& dir : {fs::path(STAGEGATE_TEST_DATA), fs::path(STAGEGATE_TEST_DATA) / ".." / "fuzz" / "corpus",
                             fs::path(STAGEGATE_SAMPLES)})
    for (const auto& entry : fs::recursive_directory_iterator(dir))
      if (entry.is_regular_file() && (entry.path().extension() == ".xml" || entry.path().extension() == ".http"))
        files.push_back(entry.path());
  int guarded = 0;
  int with_dtd = 0;
  for (const auto& file : files) {
    std::string bytes = test::read_text(file);
    if (file.extension() == ".http") {  // the body of a stored request
      const auto body = bytes.find("\r\n\r\n");
      if (body == std::string::npos) continue;
      bytes.erase(0, body + 4);
    }
    const std::string label = file.filename().string();
    if (auto doc = parse_guarded(bytes, DocumentLimits{})) {
      // What the verifier sees: all written, nothing declined.
      const auto tally = compare_everywhere(doc->get(), label);
      BOOST_TEST(tally.declined == 0, label << ": declined " << tally.declined << " times");
      BOOST_TEST(tally.written > 0, label);
      ++guarded;
    } else if (XmlDoc plain{xmlReadMemory(bytes.data(), static_cast<int>(bytes.size()), nullptr, nullptr,
                                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)}) {
      // Refused by the guard (DOCTYPE): a DTD node, so declined on the whole document.
      const auto tally = compare_everywhere(plain.get(), label);
      BOOST_TEST(tally.document_outcome == C14nOutcome::declined_node, label << ": " << describe(tally.document_outcome));
      ++with_dtd;
    }
  }
  BOOST_TEST(guarded >= 25, guarded << " documents");
  BOOST_TEST(with_dtd >= 2, with_dtd << " documents with a DTD");
}

BOOST_AUTO_TEST_SUITE_END()
