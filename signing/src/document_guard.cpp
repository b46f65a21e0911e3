#include "document_guard.h"

#include <libxml/dict.h>
#include <libxml/parser.h>

#include <string>

namespace stagegate::signing {
namespace {

using ParserCtxt = std::unique_ptr<xmlParserCtxt, Deleter<xmlFreeParserCtxt>>;

// A parser context with its dictionary costs about a tenth of a parse to create and free, so
// each thread keeps one for the next document (see reusable_after). Its dictionary interns
// the element and attribute names, namespace names and short whitespace of every document it
// parses: for the gateway's traffic a few hundred entries that stop growing, but a sender can
// invent new names in every message, so past these bounds the context is dropped and the
// next document gets a new one (libxml2's own dictionary limit, 10 MB, would instead start
// refusing documents).
constexpr std::size_t kDictionaryMaxEntries = 2048;
constexpr std::size_t kDictionaryMaxBytes = 128 << 10;

thread_local ParserCtxt reusable_context;

// Whether `ctxt` may parse the next document as if new. xmlCtxtReset (which
// xmlCtxtReadMemory calls first) is not thorough in libxml2 2.9: it drops, without freeing,
// the catalog an <?oasis-xml-catalog?> instruction adds (a leak per such document, checked
// with valgrind on Debian's 2.9.14), and upstream 2.9.14 keeps the namespace stack (fixed in
// 2.10; Debian's build has the fix), so a document that stops inside an element would leave
// its xmlns bindings to the next one. So only a context that just parsed an accepted document
// to its end, with nothing of it left on its stacks, is kept; after anything else the next
// document gets a new context, as before reuse.
bool reusable_after(const xmlParserCtxt& ctxt) {
  return ctxt.wellFormed && ctxt.nsWellFormed && ctxt.nsNr == 0 && ctxt.nameNr == 0 && ctxt.nodeNr == 0 &&
         ctxt.spaceNr <= 1 && ctxt.catalogs == nullptr && ctxt.myDoc == nullptr && ctxt.dict &&
         static_cast<std::size_t>(xmlDictSize(ctxt.dict)) <= kDictionaryMaxEntries &&
         xmlDictGetUsage(ctxt.dict) <= kDictionaryMaxBytes;
}

// Whether the bytes hold "<!DOCTYPE" or "<!ENTITY" anywhere: one pass over the "<!" (each
// either starts with it), where two searches would read the document twice.
bool declares_dtd(std::string_view document) {
  for (auto at = document.find("<!"); at != std::string_view::npos; at = document.find("<!", at + 2)) {
    const auto rest = document.substr(at + 2);
    if (rest.starts_with("DOCTYPE") || rest.starts_with("ENTITY")) return true;
  }
  return false;
}

// The number of element levels, walked through the links the parser set (no allocation).
std::size_t depth_of(xmlNodePtr root) {
  std::size_t depth = 1, deepest = 1;
  xmlNodePtr node = root;
  for (;;) {
    xmlNodePtr child = node->children;
    while (child && child->type != XML_ELEMENT_NODE) child = child->next;
    if (child) {
      node = child;
      deepest = std::max(deepest, ++depth);
      continue;
    }
    // No element below: the next element sibling of this node or of the nearest ancestor.
    for (;;) {
      if (node == root) return deepest;
      xmlNodePtr sibling = node->next;
      while (sibling && sibling->type != XML_ELEMENT_NODE) sibling = sibling->next;
      if (sibling) {
        node = sibling;
        break;
      }
      node = node->parent;
      --depth;
    }
  }
}

}  // namespace

Result<XmlDoc> parse_guarded(std::string_view document, const DocumentLimits& limits, TreeUse use) {
  if (document.size() > limits.max_bytes)
    return refuse(Code::Malformed, "document exceeds " + std::to_string(limits.max_bytes) + " bytes");
  // Refused on the raw bytes, before any parser could act on a DTD or entity declaration.
  if (declares_dtd(document)) return refuse(Code::Malformed, "DOCTYPE is not allowed");

  // Taken out of the thread's slot for the parse, and put back only on the accepting path
  // below: every refusal frees it with the document's leftovers. Only read-only trees share
  // it: libxml2 2.9 ORs each parse's options into the context and never clears them, so a
  // context that once parsed with XML_PARSE_COMPACT would keep doing so.
  ParserCtxt ctxt = use == TreeUse::read_only ? std::move(reusable_context) : nullptr;
  if (!ctxt) ctxt.reset(xmlNewParserCtxt());
  if (!ctxt) return refuse(Code::Internal, "cannot create an XML parser");
  const int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                      (use == TreeUse::read_only ? XML_PARSE_COMPACT : 0);
  // No base URL: nothing here resolves a relative URI (references are same-document only),
  // and a name costs a URI parse and copies per document.
  XmlDoc doc(xmlCtxtReadMemory(ctxt.get(), document.data(), static_cast<int>(document.size()), nullptr, nullptr,
                               options));
  if (!doc || !ctxt->wellFormed) {
    const auto* error = xmlCtxtGetLastError(ctxt.get());
    std::string reason = "not well-formed XML";
    if (error && error->message) {
      std::string message = error->message;
      while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
      reason += " (line " + std::to_string(error->line) + ": " + message + ")";
    }
    return refuse(Code::Malformed, reason);
  }
  if (doc->intSubset || doc->extSubset) return refuse(Code::Malformed, "DOCTYPE is not allowed");
  const auto root = xmlDocGetRootElement(doc.get());
  if (!root) return refuse(Code::Malformed, "no root element");
  if (depth_of(root) > limits.max_depth)
    return refuse(Code::Malformed, "nesting exceeds depth " + std::to_string(limits.max_depth));
  if (use == TreeUse::read_only && reusable_after(*ctxt)) reusable_context = std::move(ctxt);
  return doc;
}

}  // namespace stagegate::signing
