#include "document_fields.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace stagegate::routing {
namespace {

constexpr std::string_view kDsigNamespace = "http://www.w3.org/2000/09/xmldsig#";

// parse_default (CDATA, entity and character references, end-of-line and attribute
// whitespace normalization: the texts and values read depend on each), without DOCTYPE (the
// verifier refuses it, and pugixml would not expand entities anyway), and with an element's
// text kept in the element instead of a node of its own: one node fewer per field, and
// xml_node::text() reads the same.
constexpr unsigned kParseOptions = pugi::parse_default | pugi::parse_embed_pcdata;

// Whether an attribute named `attribute` declares `prefix` ("" for the default namespace).
bool declares(std::string_view attribute, std::string_view prefix) {
  if (!attribute.starts_with("xmlns")) return false;
  if (prefix.empty()) return attribute.size() == 5;
  return attribute.size() == 6 + prefix.size() && attribute[5] == ':' && attribute.substr(6) == prefix;
}

std::size_t place_of(std::span<const std::string_view> known, std::string_view name) {
  std::size_t place = 0;
  while (place < known.size() && known[place] != name) ++place;
  return place;
}

}  // namespace

std::string_view local_name(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::string_view namespace_uri(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const auto colon = name.find(':');
  const auto prefix = colon == std::string_view::npos ? std::string_view{} : name.substr(0, colon);
  for (auto scope = node; scope; scope = scope.parent()) {
    if (scope.type() != pugi::node_element) break;
    // first_attribute/next_attribute: pugixml's attribute range costs iterator objects per call.
    for (auto attribute = scope.first_attribute(); attribute; attribute = attribute.next_attribute())
      if (declares(attribute.name(), prefix)) return attribute.value();
  }
  return {};
}

std::string_view trimmed_text(const pugi::xml_node& node) {
  const std::string_view text = node.text().get();
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

Refusal missing(std::string_view path) { return refuse(Code::Schema, std::string(path) + ": required"); }

Result<DocumentFields> DocumentFields::read(pugi::xml_document& document, std::string_view xml, std::string_view ns,
                                            std::string_view root_name, std::span<const std::string_view> known,
                                            std::string_view repeatable) {
  // A normalizer's table, not the document's content: more names would be ignored silently.
  if (known.size() > kMaxKnown) throw std::logic_error("DocumentFields: more than kMaxKnown known children");
  const auto parsed = document.load_buffer(xml.data(), xml.size(), kParseOptions, pugi::encoding_utf8);
  if (!parsed)
    return refuse(Code::Malformed, std::string("document: ") + parsed.description() + " at offset " +
                                       std::to_string(parsed.offset));
  DocumentFields fields;
  fields.root_ = document.document_element();
  fields.known_ = known;
  if (local_name(fields.root_) != root_name || namespace_uri(fields.root_) != ns)
    return refuse(Code::Schema, "root: expected {" + std::string(ns) + "}" + std::string(root_name));

  // Names not in the table, kept only for a document that is going to be refused.
  std::set<std::string_view> unknown;
  for (const auto& child : fields.root_.children()) {
    if (child.type() != pugi::node_element) continue;
    const auto child_ns = namespace_uri(child);
    const auto name = local_name(child);
    if (child_ns == kDsigNamespace && name == "Signature") continue;
    if (child_ns != ns) return refuse(Code::Schema, "unknown element {" + std::string(child_ns) + "}" + std::string(name));
    const auto place = place_of(fields.known_, name);
    const bool repeated = place < fields.known_.size() ? static_cast<bool>(fields.first_[place]) : !unknown.insert(name).second;
    if (repeated && !(name == repeatable && !repeatable.empty()))
      return refuse(Code::Schema, std::string(name) + ": appears more than once");
    if (place < fields.known_.size() && !repeated) fields.first_[place] = child;
  }
  if (!unknown.empty()) return refuse(Code::Schema, std::string(*unknown.begin()) + ": unknown element");
  return fields;
}

pugi::xml_node DocumentFields::find(std::string_view name) const {
  const auto place = place_of(known_, name);
  return place < known_.size() ? first_[place] : pugi::xml_node{};
}

Result<std::string_view> DocumentFields::text(std::string_view name) const {
  const auto value = optional_text(name);
  if (value.empty()) return missing(name);
  return value;
}

}  // namespace stagegate::routing
