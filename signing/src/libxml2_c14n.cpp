#include "libxml2_c14n.h"

#include <libxml/c14n.h>
#include <libxml/xmlIO.h>

#include <array>
#include <utility>

namespace stagegate::signing {
namespace {

// Rewires child and sibling links for the duration of one c14n, and puts every one back (in
// reverse order) when it goes out of scope. libxml2's c14n walks the tree from the document
// through children/next; it reaches ancestors through parent, which is never touched, so
// namespace and xml:* inheritance stay as in the whole document. Nothing is allocated or
// freed, nothing can fail: a walk that would need more edits than kMostEdits is not cut
// (then libxml2 walks the whole document and the visibility callback decides).
class LinkEdits {
 public:
  // Four edits per element kept alone: a subtree down to depth 64, the default depth limit
  // (SignedInfo is at 3). 4 KB on the stack.
  static constexpr std::size_t kMostEdits = 256;

  LinkEdits() = default;
  LinkEdits(const LinkEdits&) = delete;
  LinkEdits& operator=(const LinkEdits&) = delete;
  ~LinkEdits() {
    while (count_ > 0) {
      --count_;
      *saved_[count_].first = saved_[count_].second;
    }
  }

  // `child` becomes the only child of `parent` that the walk sees.
  void keep_only(xmlNodePtr& children, xmlNodePtr& last, xmlNodePtr child) {
    set(children, child);
    set(last, child);
    set(child->prev, nullptr);
    set(child->next, nullptr);
  }
  // `node` disappears from its parent's children, with everything under it.
  void skip(xmlNodePtr node) {
    set(node->prev ? node->prev->next : node->parent->children, node->next);
    set(node->next ? node->next->prev : node->parent->last, node->prev);
  }

 private:
  void set(xmlNodePtr& slot, xmlNodePtr value) {
    saved_[count_++] = {&slot, slot};
    slot = value;
  }
  std::array<std::pair<xmlNodePtr*, xmlNodePtr>, kMostEdits> saved_;  // only the first count_ are read
  std::size_t count_ = 0;
};

int append_to_string(void* target, const char* bytes, int size) {
  try {  // an exception must not cross libxml2's C frames
    static_cast<std::string*>(target)->append(bytes, static_cast<std::size_t>(size));
    return size;
  } catch (...) {
    return -1;
  }
}

bool canonicalize(xmlDocPtr doc, xmlC14NIsVisibleCallback visible, void* user, const Libxml2C14n& c14n,
                  std::string& out) {
  xmlOutputBufferPtr buffer = xmlOutputBufferCreateIO(append_to_string, nullptr, &out, nullptr);
  if (!buffer) return false;
  const int written = xmlC14NExecute(doc, visible, user, c14n.exclusive ? XML_C14N_EXCLUSIVE_1_0 : XML_C14N_1_0,
                                     c14n.exclusive ? c14n.prefixes : nullptr, c14n.with_comments ? 1 : 0, buffer);
  const int flushed = xmlOutputBufferClose(buffer);
  return written >= 0 && flushed >= 0;
}

// Visible: the element and what is in it (for attributes and namespace nodes, their element).
int in_subtree(void* element, xmlNodePtr node, xmlNodePtr parent) {
  xmlNodePtr at = node->type == XML_NAMESPACE_DECL || node->type == XML_ATTRIBUTE_NODE ? parent : node;
  for (; at; at = at->parent)
    if (at == element) return 1;
  return 0;
}

// The document's child and each element between it and `element` (the root first).
std::size_t path_length(xmlNodePtr element) {
  std::size_t length = 0;
  for (xmlNodePtr at = element; at && at->type != XML_DOCUMENT_NODE; at = at->parent) ++length;
  return length;
}

void keep_path_to(LinkEdits& edits, xmlNodePtr element) {
  if (!element->parent) return;
  if (element->parent->type != XML_DOCUMENT_NODE) keep_path_to(edits, element->parent);
  edits.keep_only(element->parent->children, element->parent->last, element);
}

}  // namespace

bool libxml2_c14n_of_document(xmlDocPtr doc, bool root_only, xmlNodePtr excluded, const Libxml2C14n& c14n,
                              std::string& out) {
  LinkEdits edits;
  if (root_only) {
    const xmlNodePtr root = xmlDocGetRootElement(doc);
    if (root) edits.keep_only(doc->children, doc->last, root);
  }
  if (excluded && excluded->parent) edits.skip(excluded);
  return canonicalize(doc, nullptr, nullptr, c14n, out);
}

// SignedInfo in the context of its ancestors (their namespaces, and xml:* attributes for
// inclusive c14n), as xmlsec's node set of the SignedInfo subtree gives it. The walk is cut
// down to the path root -> ... -> element so the rest of the document is not visited.
bool libxml2_c14n_of_subtree(xmlNodePtr element, const Libxml2C14n& c14n, std::string& out) {
  LinkEdits edits;
  if (path_length(element) * 4 <= LinkEdits::kMostEdits) keep_path_to(edits, element);
  return canonicalize(element->doc, in_subtree, element, c14n, out);
}

}  // namespace stagegate::signing
