#pragma once
// libxml2's xmlC14NExecute over the two node sets the direct verification path digests,
// without building an XPath node set: the walk is cut down by rewiring child and sibling
// links for the duration of the call (see LinkEdits in the .cpp). Used for what our
// exclusive writer (exclusive_c14n.h) does not do (inclusive c14n, comments in SignedInfo)
// or declines, and by the tests as the reference our writer must equal.
#include <libxml/tree.h>

#include <string>

namespace stagegate::signing {

struct Libxml2C14n {
  bool exclusive = true;
  bool with_comments = false;
  xmlChar** prefixes = nullptr;  // exclusive only: the PrefixList, null-terminated, or null
};

// Appends to `out`; false when libxml2 fails (e.g. a relative namespace URI).
// See exclusive_c14n_of_document: the same node set.
bool libxml2_c14n_of_document(xmlDocPtr doc, bool root_only, xmlNodePtr excluded, const Libxml2C14n& c14n,
                              std::string& out);

// See exclusive_c14n_of_subtree: the same node set. `element` must be in its document.
bool libxml2_c14n_of_subtree(xmlNodePtr element, const Libxml2C14n& c14n, std::string& out);

}  // namespace stagegate::signing
