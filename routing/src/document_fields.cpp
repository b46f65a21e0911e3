#include "document_fields.h"

#include <algorithm>
#include <memory>

namespace stagegate::routing {
namespace {

constexpr std::string_view kDsigNamespace = "http://www.w3.org/2000/09/xmldsig#";

std::string_view prefix_of(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? std::string_view{} : name.substr(0, colon);
}

}  // namespace

std::string_view local_name(const pugi::xml_node& node) {
  const std::string_view name = node.name();
  const auto colon = name.find(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

std::string namespace_uri(const pugi::xml_node& node) {
  const auto prefix = prefix_of(node);
  const std::string attribute = prefix.empty() ? "xmlns" : "xmlns:" + std::string(prefix);
  for (auto scope = node; scope; scope = scope.parent()) {
    if (scope.type() != pugi::node_element) break;
    if (const auto declared = scope.attribute(attribute.c_str())) return declared.value();
  }
  return {};
}

std::string trimmed_text(const pugi::xml_node& node) {
  std::string text = node.text().get();
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

Result<std::map<std::string, pugi::xml_node>> collect_children(const pugi::xml_node& parent, std::string_view ns,
                                                                std::string_view path,
                                                                std::initializer_list<std::string_view> allowed) {
  std::map<std::string, pugi::xml_node> children;
  for (const auto& child : parent.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string name(local_name(child));
    const auto known = std::find(allowed.begin(), allowed.end(), name) != allowed.end();
    if (namespace_uri(child) != ns || !known)
      return refuse(Code::Schema, std::string(path) + "/" + name + ": unknown element");
    if (!children.emplace(name, child).second)
      return refuse(Code::Schema, std::string(path) + "/" + name + ": appears more than once");
  }
  return children;
}

Refusal missing(std::string_view path) { return refuse(Code::Schema, std::string(path) + ": required"); }

Result<DocumentFields> DocumentFields::read(std::string_view xml, std::string_view ns, std::string_view root_name,
                                            bool repeatable_name) {
  DocumentFields fields;
  fields.document_ = std::make_shared<pugi::xml_document>();
  // parse_default without DOCTYPE: a DOCTYPE never gets here (the verifier refuses it),
  // and pugixml would not expand entities anyway.
  const auto parsed = fields.document_->load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed)
    return refuse(Code::Malformed, std::string("document: ") + parsed.description() + " at offset " +
                                       std::to_string(parsed.offset));
  const auto root = fields.document_->document_element();
  if (local_name(root) != root_name || namespace_uri(root) != ns)
    return refuse(Code::Schema, "root: expected {" + std::string(ns) + "}" + std::string(root_name));

  for (const auto& child : root.children()) {
    if (child.type() != pugi::node_element) continue;
    const auto child_ns = namespace_uri(child);
    if (child_ns == kDsigNamespace && local_name(child) == "Signature") continue;
    const std::string name(local_name(child));
    if (child_ns != ns) return refuse(Code::Schema, "unknown element {" + child_ns + "}" + name);
    if (fields.children_.count(name) && !(repeatable_name && name == "name"))
      return refuse(Code::Schema, name + ": appears more than once");
    fields.children_.emplace(name, child);
  }
  return fields;
}

pugi::xml_node DocumentFields::find(const std::string& name) const {
  const auto found = children_.find(name);
  return found == children_.end() ? pugi::xml_node{} : found->second;
}

Result<std::string> DocumentFields::text(const std::string& name) const {
  auto value = optional_text(name);
  if (value.empty()) return missing(name);
  return value;
}

std::string DocumentFields::optional_text(const std::string& name) const { return trimmed_text(find(name)); }

}  // namespace stagegate::routing
