#pragma once
// The children of a business document's root, by local name, after namespace checks.
// pugixml does not resolve namespaces, so prefixes are resolved here by walking xmlns
// declarations up the tree (canonical XML declares them explicitly).
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <pugixml.hpp>

#include "stagegate/core/result.h"

namespace stagegate::routing {

std::string_view local_name(const pugi::xml_node& node);
std::string namespace_uri(const pugi::xml_node& node);
std::string trimmed_text(const pugi::xml_node& node);

class DocumentFields {
 public:
  // Parses and checks the root ({ns}root_name). MALFORMED if not well-formed, SCHEMA otherwise.
  static Result<DocumentFields> read(std::string_view xml, std::string_view ns, std::string_view root_name,
                                     bool repeatable_name = false);

  pugi::xml_node root() const { return document_->document_element(); }
  // The single child with this local name, or an empty node.
  pugi::xml_node find(const std::string& name) const;
  const std::multimap<std::string, pugi::xml_node>& all() const { return children_; }

  // Required text: SCHEMA "<path>: required" when absent or blank.
  Result<std::string> text(const std::string& name) const;
  std::string optional_text(const std::string& name) const;

 private:
  std::shared_ptr<pugi::xml_document> document_;
  std::multimap<std::string, pugi::xml_node> children_;
};

Refusal missing(std::string_view path);

// Element children of `parent` by local name: SCHEMA for a child outside `ns` or not in
// `allowed`, or a repeated one (paths in reasons start with `path`).
Result<std::map<std::string, pugi::xml_node>> collect_children(const pugi::xml_node& parent, std::string_view ns,
                                                                std::string_view path,
                                                                std::initializer_list<std::string_view> allowed);

}  // namespace stagegate::routing
