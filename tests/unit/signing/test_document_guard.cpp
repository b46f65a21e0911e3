// parse_guarded reuses one libxml2 parser context per thread: whatever a document did to it,
// the next document on the same thread must parse as if with a new context.
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <string>

#include "document_guard.h"
#include "xmlsec_library.h"

using namespace stagegate;
using namespace stagegate::signing;

namespace {

const std::string kPlain = "<a><b>text</b><c x=\"1\"/></a>";

std::string nested(int depth, const std::string& root_attributes = "") {
  std::string text = "<r" + root_attributes + ">";
  for (int i = 1; i < depth; ++i) text += "<n>";
  for (int i = 1; i < depth; ++i) text += "</n>";
  return text + "</r>";
}

// Every namespace any element or attribute of the document is in, space-separated.
std::string namespaces_in(xmlNodePtr node) {
  std::string found;
  for (; node; node = node->next) {
    if (node->type != XML_ELEMENT_NODE) continue;
    if (node->ns) found += std::string(reinterpret_cast<const char*>(node->ns->href)) + " ";
    for (auto attribute = node->properties; attribute; attribute = attribute->next)
      if (attribute->ns) found += std::string(reinterpret_cast<const char*>(attribute->ns->href)) + " ";
    found += namespaces_in(node->children);
  }
  return found;
}

void expect_refused(std::string_view document, const std::string& reason_part, DocumentLimits limits = {}) {
  const auto doc = parse_guarded(document, limits);
  BOOST_REQUIRE_MESSAGE(!doc, "expected a refusal");
  BOOST_TEST(doc.refusal().code == Code::Malformed);
  BOOST_TEST(doc.refusal().reason.find(reason_part) != std::string::npos, doc.refusal().reason);
}

// The plain document, parsed after something else on the same thread: the same tree.
void expect_plain_parses() {
  const auto doc = parse_guarded(kPlain, DocumentLimits{});
  BOOST_REQUIRE_MESSAGE(doc, (doc ? std::string() : doc.refusal().reason));
  const xmlNodePtr root = xmlDocGetRootElement(doc->get());
  BOOST_REQUIRE(root);
  BOOST_TEST(std::strcmp(reinterpret_cast<const char*>(root->name), "a") == 0);
  BOOST_TEST(namespaces_in(root).empty(), namespaces_in(root));
  BOOST_TEST(doc->get()->intSubset == nullptr);
}

struct Library {
  Library() { ensure_xmlsec(); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(document_guard, Library)

BOOST_AUTO_TEST_CASE(dtd_declarations_are_refused_on_the_bytes_wherever_they_are) {
  expect_refused("<!DOCTYPE r><r/>", "DOCTYPE");
  expect_refused("<!ENTITY e \"x\"><r/>", "DOCTYPE");
  expect_refused("<r><!-- <!DOCTYPE r> --></r>", "DOCTYPE");
  expect_refused("<r><![CDATA[<!ENTITY]]></r>", "DOCTYPE");
  expect_refused("<r><!---->x<!DOCTYPE", "DOCTYPE");
  BOOST_TEST(parse_guarded("<r><!-- <!DOCTYP --><![CDATA[<!ENTIT]]></r>", DocumentLimits{}).ok());
  BOOST_TEST(parse_guarded("<r>&lt;!DOCTYPE</r>", DocumentLimits{}).ok());
}

BOOST_AUTO_TEST_CASE(depth_limit_is_exact) {
  BOOST_TEST(parse_guarded(nested(10), DocumentLimits{1 << 20, 10}).ok());
  expect_refused(nested(11), "depth 10", DocumentLimits{1 << 20, 10});
  // Deepest in a later branch, after deeper siblings were left.
  BOOST_TEST(parse_guarded("<r><a><b/></a><c><d><e/></d></c><f/></r>", DocumentLimits{1 << 20, 4}).ok());
  expect_refused("<r><a><b/></a><c><d><e/></d></c><f/></r>", "depth 3", DocumentLimits{1 << 20, 3});
}

BOOST_AUTO_TEST_CASE(a_document_after_one_too_deep_for_the_limit_parses_as_new) {
  expect_refused(nested(65, " xmlns=\"urn:evil\""), "depth 64");
  expect_plain_parses();
}

BOOST_AUTO_TEST_CASE(a_document_after_one_too_deep_for_libxml2_parses_as_new) {
  // libxml2 stops at 256 levels, inside elements whose namespaces are still bound.
  expect_refused(nested(10000, " xmlns=\"urn:evil\" xmlns:p=\"urn:evil-p\""), "not well-formed");
  expect_plain_parses();
}

BOOST_AUTO_TEST_CASE(a_document_after_a_doctype_parses_as_new) {
  expect_refused("<!DOCTYPE r [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><r>&e;</r>", "DOCTYPE");
  expect_plain_parses();
}

// libxml2 2.9's xmlCtxtReset keeps the namespace stack: a reused context would give the next
// document the bindings of an element the previous one left open.
BOOST_AUTO_TEST_CASE(namespace_bindings_of_an_unfinished_document_do_not_reach_the_next) {
  expect_refused("<x xmlns=\"urn:evil\" xmlns:p=\"urn:evil-p\"><y>", "not well-formed");
  expect_plain_parses();
  expect_refused("<x xmlns=\"urn:evil\" xmlns:p=\"urn:evil-p\"><y>", "not well-formed");
  const auto doc = parse_guarded("<a><p:b/></a>", DocumentLimits{});  // p is not bound here
  if (doc) BOOST_TEST(namespaces_in(xmlDocGetRootElement(doc->get())).empty());
  expect_plain_parses();
}

BOOST_AUTO_TEST_CASE(a_document_after_a_catalog_instruction_parses_as_new) {
  BOOST_TEST(parse_guarded("<?oasis-xml-catalog catalog=\"http://127.0.0.1:9/c.xml\"?><a/>", DocumentLimits{}).ok());
  expect_plain_parses();
}

BOOST_AUTO_TEST_CASE(a_document_after_an_ill_formed_one_parses_as_new) {
  expect_refused("<a><b></a>", "line 1");
  expect_refused("<a>&undefined;</a>", "not well-formed");
  expect_refused("", "not well-formed");
  expect_refused("<a/><b/>", "not well-formed");
  expect_plain_parses();
}

// Names a sender invents go into the reused context's dictionary; bounded, it never reaches
// libxml2's own limit (10 MB), which would refuse well-formed documents.
BOOST_AUTO_TEST_CASE(invented_names_never_fill_the_dictionary) {
  for (int document = 0; document < 300; ++document) {
    std::string text = "<r>";
    for (int name = 0; name < 20; ++name) {
      const std::string element = "e" + std::to_string(document) + "_" + std::to_string(name) + std::string(2000, 'n');
      text += "<" + element + "/>";
    }
    text += "</r>";
    const auto doc = parse_guarded(text, DocumentLimits{});
    BOOST_REQUIRE_MESSAGE(doc, "document " << document << ": " << (doc ? std::string() : doc.refusal().reason));
  }
  expect_plain_parses();
}

// A document stays valid after the context that parsed it was dropped (it holds its own
// reference to the shared dictionary).
BOOST_AUTO_TEST_CASE(documents_outlive_a_dropped_context) {
  auto first = parse_guarded(kPlain, DocumentLimits{});
  BOOST_REQUIRE(first);
  expect_refused("<x><y>", "not well-formed");  // drops the context that parsed `first`
  auto second = parse_guarded(kPlain, DocumentLimits{});
  BOOST_REQUIRE(second);
  const xmlNodePtr root = xmlDocGetRootElement(first->get());
  BOOST_TEST(std::strcmp(reinterpret_cast<const char*>(root->children->name), "b") == 0);
}

BOOST_AUTO_TEST_SUITE_END()
