#pragma once
// The children of a business document's root, by local name, after namespace checks.
// pugixml does not resolve namespaces, so prefixes are resolved here by walking xmlns
// declarations up the tree (canonical XML declares them explicitly).
// Names and texts are views into the parsed document: no string is built per field; the
// normalizers copy what they keep into their value types.
#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include <pugixml.hpp>

#include "stagegate/core/result.h"

namespace stagegate::routing {

std::string_view local_name(const pugi::xml_node& node);
// The URI the node's prefix (or the default namespace) is bound to, "" when none is declared;
// a view into the node's document.
std::string_view namespace_uri(const pugi::xml_node& node);
// The node's first text without surrounding " \t\r\n"; a view into the node's document.
std::string_view trimmed_text(const pugi::xml_node& node);

// The child elements a document's root may have, in a fixed table: a field is found by its
// place in the table, not by a map built per message.
class DocumentFields {
 public:
  // Parses into `document` (which must outlive the fields) and checks the root ({ns}root_name)
  // and its children: MALFORMED if not well-formed; SCHEMA for a child outside `ns` (an
  // xmldsig Signature excepted), a repeated one (`repeatable` excepted) and then, if none of
  // these, for the first unknown child in name order (as a map by name reported it).
  static Result<DocumentFields> read(pugi::xml_document& document, std::string_view xml, std::string_view ns,
                                     std::string_view root_name, std::span<const std::string_view> known,
                                     std::string_view repeatable = {});

  pugi::xml_node root() const { return root_; }
  // The first child named known[index], or an empty node.
  pugi::xml_node find(std::string_view name) const;

  // Required text: SCHEMA "<path>: required" when absent or blank.
  Result<std::string_view> text(std::string_view name) const;
  std::string_view optional_text(std::string_view name) const { return trimmed_text(find(name)); }

  static constexpr std::size_t kMaxKnown = 16;

 private:
  pugi::xml_node root_;
  std::span<const std::string_view> known_;
  std::array<pugi::xml_node, kMaxKnown> first_;  // by place in known_
};

Refusal missing(std::string_view path);

// Element children of `parent` by place in `allowed`: SCHEMA for a child outside `ns` or not
// in `allowed`, or a repeated one (paths in reasons start with `path`), in document order.
template <std::size_t N>
Result<std::array<pugi::xml_node, N>> collect_children(const pugi::xml_node& parent, std::string_view ns,
                                                        std::string_view path,
                                                        const std::array<std::string_view, N>& allowed) {
  std::array<pugi::xml_node, N> children{};
  for (const auto& child : parent.children()) {
    if (child.type() != pugi::node_element) continue;
    const auto name = local_name(child);
    std::size_t place = 0;
    while (place < N && allowed[place] != name) ++place;
    if (place == N || namespace_uri(child) != ns)
      return refuse(Code::Schema, std::string(path) + "/" + std::string(name) + ": unknown element");
    if (children[place]) return refuse(Code::Schema, std::string(path) + "/" + std::string(name) + ": appears more than once");
    children[place] = child;
  }
  return children;
}

}  // namespace stagegate::routing
