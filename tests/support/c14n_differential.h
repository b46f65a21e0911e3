#pragma once
// Our exclusive c14n (signing/src/exclusive_c14n.h) against libxml2's xmlC14NExecute
// (signing/src/libxml2_c14n.h) on the same node set: they agree when ours declined (the
// verifier then uses libxml2's) or when both wrote the same bytes. Shared by the unit tests
// and the fuzz targets (which abort on a disagreement).
#include <libxml/tree.h>

#include <string>
#include <string_view>
#include <vector>

#include "document_guard.h"
#include "exclusive_c14n.h"
#include "libxml2_c14n.h"

namespace stagegate::test {

struct C14nComparison {
  signing::C14nOutcome ours = signing::C14nOutcome::written;
  bool libxml2_wrote = false;
  std::string ours_bytes;
  std::string libxml2_bytes;

  bool agrees() const { return ours != signing::C14nOutcome::written || (libxml2_wrote && ours_bytes == libxml2_bytes); }
  std::string explain() const {
    return std::string(signing::describe(ours)) + (libxml2_wrote ? "" : ", libxml2 failed") + "\nours:    " +
           ours_bytes + "\nlibxml2: " + libxml2_bytes;
  }
};

// The PrefixList as libxml2 takes it: null-terminated pointers, or null for no list.
class PrefixPointers {
 public:
  explicit PrefixPointers(const std::vector<std::string>& tokens) : tokens_(tokens) {
    for (auto& token : tokens_) pointers_.push_back(reinterpret_cast<xmlChar*>(token.data()));
    pointers_.push_back(nullptr);
  }
  xmlChar** list() { return tokens_.empty() ? nullptr : pointers_.data(); }

 private:
  std::vector<std::string> tokens_;
  std::vector<xmlChar*> pointers_;
};

inline C14nComparison compare_c14n_of_document(xmlDocPtr doc, bool root_only, xmlNodePtr excluded,
                                               const std::vector<std::string>& prefixes) {
  C14nComparison result;
  result.ours = signing::exclusive_c14n_of_document(doc, root_only, excluded, prefixes, result.ours_bytes);
  PrefixPointers pointers(prefixes);
  result.libxml2_wrote = signing::libxml2_c14n_of_document(doc, root_only, excluded, {true, false, pointers.list()},
                                                           result.libxml2_bytes);
  return result;
}

inline C14nComparison compare_c14n_of_subtree(xmlNodePtr element, const std::vector<std::string>& prefixes) {
  C14nComparison result;
  result.ours = signing::exclusive_c14n_of_subtree(element, prefixes, result.ours_bytes);
  PrefixPointers pointers(prefixes);
  result.libxml2_wrote = signing::libxml2_c14n_of_subtree(element, {true, false, pointers.list()}, result.libxml2_bytes);
  return result;
}

// For the fuzz targets: `document` parsed as the verifier parses it, both writers on the node
// sets the verifier uses (the document without the root's Signature child, whole and by the
// root's Id; the Signature's first element alone, else the root's first child element), with
// no PrefixList and, for odd sizes, one naming the default and two prefixes. Returns the
// first disagreement, or "" (also for a document the guard refuses).
inline std::string c14n_disagreement(std::string_view document) {
  auto doc = signing::parse_guarded(document, signing::DocumentLimits{});
  if (!doc) return "";
  const xmlNodePtr root = xmlDocGetRootElement(doc->get());
  const auto first_element = [](xmlNodePtr parent) {
    xmlNodePtr child = parent ? parent->children : nullptr;
    while (child && child->type != XML_ELEMENT_NODE) child = child->next;
    return child;
  };
  xmlNodePtr signature = nullptr;
  for (xmlNodePtr child = root->children; child && !signature; child = child->next)
    if (child->type == XML_ELEMENT_NODE && xmlStrEqual(child->name, BAD_CAST "Signature")) signature = child;
  const xmlNodePtr alone = signature ? first_element(signature) : first_element(root);
  std::vector<std::vector<std::string>> lists{{}};
  if (document.size() % 2) lists.push_back({"#default", "ds", "s"});
  for (const auto& prefixes : lists) {
    for (const bool root_only : {false, true})
      if (const auto c = compare_c14n_of_document(doc->get(), root_only, signature, prefixes); !c.agrees())
        return "document" + std::string(root_only ? " (root only): " : ": ") + c.explain();
    if (alone)
      if (const auto c = compare_c14n_of_subtree(alone, prefixes); !c.agrees()) return "subtree: " + c.explain();
  }
  return "";
}

}  // namespace stagegate::test
