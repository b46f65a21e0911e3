#include "document_guard.h"

#include <libxml/parser.h>

#include <string>
#include <vector>

namespace stagegate::signing {
namespace {

struct FreeParserCtxt {
  void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};

std::size_t depth_of(xmlNodePtr root) {
  std::size_t deepest = 0;
  std::vector<std::pair<xmlNodePtr, std::size_t>> pending{{root, 1}};
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    deepest = std::max(deepest, depth);
    for (auto child = node->children; child; child = child->next)
      if (child->type == XML_ELEMENT_NODE) pending.emplace_back(child, depth + 1);
  }
  return deepest;
}

}  // namespace

Result<XmlDoc> parse_guarded(std::string_view document, const DocumentLimits& limits) {
  if (document.size() > limits.max_bytes)
    return refuse(Code::Malformed, "document exceeds " + std::to_string(limits.max_bytes) + " bytes");
  // Refused on the raw bytes, before any parser could act on a DTD or entity declaration.
  if (document.find("<!DOCTYPE") != std::string_view::npos || document.find("<!ENTITY") != std::string_view::npos)
    return refuse(Code::Malformed, "DOCTYPE is not allowed");

  std::unique_ptr<xmlParserCtxt, FreeParserCtxt> ctxt(xmlNewParserCtxt());
  if (!ctxt) return refuse(Code::Internal, "cannot create an XML parser");
  constexpr int options = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING;
  XmlDoc doc(xmlCtxtReadMemory(ctxt.get(), document.data(), static_cast<int>(document.size()), "document.xml",
                               nullptr, options));
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
  return doc;
}

}  // namespace stagegate::signing
