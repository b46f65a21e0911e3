#pragma once
// Exclusive XML Canonicalization 1.0 without comments
// (https://www.w3.org/TR/xml-exc-c14n/), written straight into a std::string, for the two
// node sets the direct verification path digests (direct_verification.h). It reproduces
// libxml2 2.9's xmlC14NExecute(XML_C14N_EXCLUSIVE_1_0, with_comments = 0) byte for byte on
// what it accepts, including libxml2's own readings of the specification (which namespace
// declarations it repeats, where xmlns="" appears, newlines around PIs outside the root),
// because a digest over different bytes would turn a valid signature into a refused one.
//
// It costs a fraction of libxml2's: no list per element for the namespace and attribute
// axes, no output buffer, escapes written a run at a time, and a namespace URI parsed once
// per thread instead of once per declaration.
//
// Whatever it is not sure of, it declines (a value, never an exception) and writes nothing
// meaningful; the caller then runs libxml2, whose outcome (canonical bytes or an error) is
// the answer. That covers: an element declaring a namespace URI that libxml2's relative-URI
// check has not accepted on this thread (libxml2 fails on relative or unparsable ones),
// node types other than elements, text, CDATA, PIs and comments, an attribute whose value is
// not plain text nodes, a namespace URI holding '"', and attributes or namespaces whose
// canonical order would be a tie.
#include <libxml/tree.h>

#include <span>
#include <string>
#include <string_view>

namespace stagegate::signing {

enum class C14nOutcome {
  written,                  // `out` holds the canonical form
  declined_namespace_uri,   // a namespace URI libxml2 may refuse (relative, unparsable) or quote otherwise
  declined_node,            // a node type the writer does not render (entity reference, DTD, XInclude...)
  declined_attribute,       // an attribute value not made of text nodes, or an attribute in a default namespace
  declined_order,           // two attributes or namespace declarations that sort equal
};

std::string_view describe(C14nOutcome outcome);

// The InclusiveNamespaces PrefixList tokens as libxml2 takes them: "#default" and "" both
// name the default namespace.
using PrefixList = std::span<const std::string>;

// The document's children in order (or only its root element when `root_only`: a reference
// to the root by Id), without `excluded` and everything under it (may be null): the
// enveloped-signature transform's output. `out` is cleared first.
C14nOutcome exclusive_c14n_of_document(xmlDocPtr doc, bool root_only, xmlNodePtr excluded, PrefixList prefixes,
                                       std::string& out);

// `element` and everything under it, its namespaces resolved through its ancestors, which
// are not rendered (SignedInfo as xmlsec's node set of its subtree gives it). `out` is
// cleared first.
C14nOutcome exclusive_c14n_of_subtree(xmlNodePtr element, PrefixList prefixes, std::string& out);

}  // namespace stagegate::signing
