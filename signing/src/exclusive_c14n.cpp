#include "exclusive_c14n.h"

#include <libxml/uri.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "handles.h"

namespace stagegate::signing {
namespace {

// Pointers from the tree are xmlChar; everything here compares and writes them as bytes.
const char* text(const xmlChar* value) { return reinterpret_cast<const char*>(value); }
bool empty(const xmlChar* value) { return !value || !*value; }

// libxml2's xmlStrcmp: null sorts before everything, then unsigned bytes.
int compare(const xmlChar* a, const xmlChar* b) {
  if (a == b) return 0;
  if (!a) return -1;
  if (!b) return 1;
  return std::strcmp(text(a), text(b));  // unsigned char order, as the C standard defines strcmp
}

// libxml2 compares namespace prefixes and URIs with null and "" the same.
bool same(const xmlChar* a, const xmlChar* b) {
  if (a == b) return true;  // the parser's dictionary interns names, so this is the usual case
  return std::strcmp(a ? text(a) : "", b ? text(b) : "") == 0;
}

constexpr std::string_view kXmlNamespace = "http://www.w3.org/XML/1998/namespace";

// The xml prefix bound to its namespace: never rendered as a declaration.
bool is_xml_namespace(xmlNsPtr ns) {
  return ns && ns->prefix && std::strcmp(text(ns->prefix), "xml") == 0 && ns->href && kXmlNamespace == text(ns->href);
}

// ---- escaping -----------------------------------------------------------------------------

// C14N 1.0's replacements, by where the character appears (libxml2's xmlC11NNormalizeString).
enum class EscapedIn { text, attribute, processing_instruction };

// Per place, the bytes that end a run copied as it is: those escaped there, and the NUL that
// ends the string, so the scan is one table lookup per byte.
template <EscapedIn where>
constexpr std::array<bool, 256> kEndsRun = [] {
  std::array<bool, 256> table{};
  table[0] = true;
  table['\r'] = true;
  if constexpr (where == EscapedIn::text) table['&'] = table['<'] = table['>'] = true;
  if constexpr (where == EscapedIn::attribute) table['&'] = table['<'] = table['"'] = table['\t'] = table['\n'] = true;
  return table;
}();

std::string_view replacement(unsigned char c) {
  switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\t': return "&#x9;";
    case '\n': return "&#xA;";
    default: return "&#xD;";  // '\r', the only other byte escaped anywhere
  }
}

// Appends `value` with the characters escaped `where` it appears, copying the runs between
// them at once.
template <EscapedIn where>
void append_escaped(std::string& out, const xmlChar* value) {
  for (const xmlChar* run = value;;) {
    const xmlChar* at = run;
    while (!kEndsRun<where>[*at]) ++at;
    out.append(text(run), static_cast<std::size_t>(at - run));
    if (!*at) return;
    out.append(replacement(*at));
    run = at + 1;
  }
}

// ---- namespace URIs -----------------------------------------------------------------------

using Uri = std::unique_ptr<xmlURI, Deleter<xmlFreeURI>>;

// libxml2's c14n fails on an element declaring a namespace URI that xmlParseURI cannot parse
// or that has no scheme (C14N: relative namespace URIs are an error). libxml2 parses every
// declaration into an xmlURI it allocates and frees, and the gateway's traffic uses a handful
// of URIs, so the ones libxml2 accepted are remembered per thread: a few, each short, replaced
// in turn so a sender inventing URIs cannot keep the common ones out. A URI not remembered
// is parsed by xmlParseURI itself, so the verdict is always libxml2's.
class AcceptedNamespaceUris {
 public:
  bool accepts(const xmlChar* href) {
    if (empty(href)) return true;  // libxml2 checks only non-empty URIs
    const std::string_view uri = text(href);
    for (const auto& known : known_)
      if (known == uri) return true;
    // '"' would make libxml2 quote the URI otherwise; it never parses as a URI anyway.
    if (uri.find('"') != std::string_view::npos) return false;
    const Uri parsed(xmlParseURI(text(href)));
    if (!parsed || empty(reinterpret_cast<const xmlChar*>(parsed->scheme))) return false;
    if (uri.size() <= kLongest) {
      known_[next_].assign(uri);
      next_ = (next_ + 1) % known_.size();
    }
    return true;
  }

 private:
  static constexpr std::size_t kLongest = 256;
  std::array<std::string, 16> known_;
  std::size_t next_ = 0;
};

// ---- the writer ---------------------------------------------------------------------------

// Where the walk is relative to the document element (libxml2 renders PIs outside it with a
// newline towards the document element).
enum class Position { before_document_element, inside_document_element, after_document_element };

// The rendered-namespace stack of an element being written, put back when it closes.
struct OpenElement {
  std::size_t rendered_end;
  std::size_t previous_start;
  std::size_t previous_end;
  bool document_element;
};

// One per thread, reused by every canonicalization on it, so the vectors keep their capacity
// and an element costs no allocation.
//
// The namespace bookkeeping is libxml2's (c14n.c, xmlExcC14NProcessNamespacesAxis), because
// that is what the signers' and xmlsec's bytes come from: `rendered` is the stack of
// namespaces rendered by the open elements and their attributes, [previous_start,
// previous_end) the window libxml2's inclusive-style lookup (used for PrefixList entries and
// "#default") searches, the rest searched by the exclusive lookup.
class Writer {
 public:
  C14nOutcome document(xmlDocPtr doc, bool root_only, xmlNodePtr excluded, PrefixList prefixes, std::string& out) {
    start(prefixes, excluded, out);
    if (root_only) {
      const xmlNodePtr root = xmlDocGetRootElement(doc);
      return root ? subtree(root) : C14nOutcome::written;
    }
    for (xmlNodePtr child = doc->children; child; child = child->next) {
      C14nOutcome outcome = C14nOutcome::written;
      switch (child->type) {
        case XML_ELEMENT_NODE: outcome = subtree(child); break;
        case XML_PI_NODE: processing_instruction(child); break;
        case XML_COMMENT_NODE: break;  // without comments
        default: outcome = C14nOutcome::declined_node; break;
      }
      if (outcome != C14nOutcome::written) return outcome;
    }
    return C14nOutcome::written;
  }

  C14nOutcome element_alone(xmlNodePtr element, PrefixList prefixes, std::string& out) {
    start(prefixes, nullptr, out);
    // libxml2 walks down to the element through its ancestors, rendering nothing of them but
    // checking their namespace URIs.
    for (xmlNodePtr ancestor = element->parent; ancestor; ancestor = ancestor->parent)
      if (ancestor->type == XML_ELEMENT_NODE && !namespace_uris_accepted(ancestor))
        return C14nOutcome::declined_namespace_uri;
    return subtree(element);
  }

 private:
  void start(PrefixList prefixes, xmlNodePtr excluded, std::string& out) {
    out_ = &out;
    out.clear();
    prefixes_ = prefixes;
    excluded_ = excluded;
    rendered_.clear();
    previous_start_ = previous_end_ = 0;
    open_.clear();
    position_ = Position::before_document_element;
    next_element_is_document_element_ = true;
  }

  // `top` and everything under it, in document order, without recursion.
  C14nOutcome subtree(xmlNodePtr top) {
    xmlNodePtr node = top;
    for (;;) {
      bool descend = false;
      switch (node->type) {
        case XML_ELEMENT_NODE:
          if (node == excluded_) break;
          if (const auto outcome = open(node); outcome != C14nOutcome::written) return outcome;
          if (node->children) descend = true;
          else close(node);
          break;
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
          if (node->content) append_escaped<EscapedIn::text>(*out_, node->content);
          break;
        case XML_PI_NODE: processing_instruction(node); break;
        case XML_COMMENT_NODE: break;  // without comments
        default: return C14nOutcome::declined_node;
      }
      if (descend) {
        node = node->children;
        continue;
      }
      while (node != top && !node->next) {
        node = node->parent;
        close(node);
      }
      if (node == top) return C14nOutcome::written;
      node = node->next;
    }
  }

  void processing_instruction(xmlNodePtr pi) {
    std::string& out = *out_;
    out.append(position_ == Position::after_document_element ? "\n<?" : "<?");
    out.append(text(pi->name));
    if (!empty(pi->content)) {
      out.push_back(' ');
      append_escaped<EscapedIn::processing_instruction>(out, pi->content);
    }
    out.append(position_ == Position::before_document_element ? "?>\n" : "?>");
  }

  void qualified_name(xmlNodePtr element) {
    if (element->ns && !empty(element->ns->prefix)) {
      out_->append(text(element->ns->prefix));
      out_->push_back(':');
    }
    out_->append(text(element->name));
  }

  bool namespace_uris_accepted(xmlNodePtr element) {
    for (xmlNsPtr ns = element->nsDef; ns; ns = ns->next)
      if (!accepted_uris_.accepts(ns->href)) return false;
    return true;
  }

  C14nOutcome open(xmlNodePtr element) {
    if (!namespace_uris_accepted(element)) return C14nOutcome::declined_namespace_uri;
    open_.push_back({rendered_.size(), previous_start_, previous_end_, next_element_is_document_element_});
    if (next_element_is_document_element_) {
      next_element_is_document_element_ = false;
      position_ = Position::inside_document_element;
    }
    out_->push_back('<');
    qualified_name(element);
    if (const auto outcome = namespace_axis(element); outcome != C14nOutcome::written) return outcome;
    previous_start_ = previous_end_;
    previous_end_ = rendered_.size();
    if (const auto outcome = attribute_axis(element); outcome != C14nOutcome::written) return outcome;
    out_->push_back('>');
    return C14nOutcome::written;
  }

  void close(xmlNodePtr element) {
    out_->append("</");
    qualified_name(element);
    out_->push_back('>');
    const OpenElement saved = open_.back();
    open_.pop_back();
    if (saved.document_element) {
      next_element_is_document_element_ = true;
      position_ = Position::after_document_element;
    }
    rendered_.resize(saved.rendered_end);
    previous_start_ = saved.previous_start;
    previous_end_ = saved.previous_end;
  }

  // xmlSearchNs: the namespace `prefix` (null: the default one) means at `element`.
  static xmlNsPtr in_scope(xmlNodePtr element, const char* prefix) {
    const auto matches = [prefix](xmlNsPtr ns) {
      return ns->href && (prefix ? ns->prefix && std::strcmp(text(ns->prefix), prefix) == 0 : !ns->prefix);
    };
    for (xmlNodePtr node = element; node; node = node->parent) {
      if (node->type == XML_ENTITY_REF_NODE || node->type == XML_ENTITY_NODE || node->type == XML_ENTITY_DECL)
        return nullptr;
      if (node->type != XML_ELEMENT_NODE) continue;
      for (xmlNsPtr ns = node->nsDef; ns; ns = ns->next)
        if (matches(ns)) return ns;
      if (node != element && node->ns && matches(node->ns)) return node->ns;
    }
    return nullptr;
  }

  // Whether the open elements already rendered `ns`: the nearest entry with its prefix, in
  // the whole stack (exclusive lookup) or, unless `ns` is the empty default, only from
  // previous_start (the lookup libxml2 uses for PrefixList entries). With no entry, only the
  // empty default namespace counts as rendered (it is the initial state).
  bool rendered(const xmlChar* prefix, const xmlChar* href, bool whole_stack) const {
    const bool empty_default = empty(prefix) && empty(href);
    const std::size_t from = whole_stack || empty_default ? 0 : previous_start_;
    for (std::size_t i = rendered_.size(); i > from; --i) {
      const xmlNsPtr entry = rendered_[i - 1];
      if (same(prefix, entry->prefix)) return same(href, entry->href);
    }
    return empty_default;
  }

  C14nOutcome namespace_axis(xmlNodePtr element) {
    to_declare_.clear();
    bool default_declared = false;         // a default namespace is among the declarations
    bool default_utilized = false;         // the element is in no namespace
    bool default_in_prefix_list = false;   // PrefixList names "#default"

    for (const auto& token : prefixes_) {
      const bool is_default = token.empty() || token == "#default";
      if (is_default) default_in_prefix_list = true;
      if (token == "xml") continue;  // always the xml namespace, never declared
      const xmlNsPtr ns = in_scope(element, is_default ? nullptr : token.c_str());
      if (!ns || is_xml_namespace(ns)) continue;
      const bool already = rendered(ns->prefix, ns->href, false);
      rendered_.push_back(ns);
      if (!already) to_declare_.push_back(ns);
      if (empty(ns->prefix)) default_declared = true;
    }

    xmlNsPtr own = element->ns;
    if (!own) {
      own = in_scope(element, nullptr);  // xmlns="" in scope, or nothing
      default_utilized = true;
    }
    if (own && !is_xml_namespace(own)) {
      if (!rendered(own->prefix, own->href, true)) to_declare_.push_back(own);
      rendered_.push_back(own);
      if (empty(own->prefix)) default_declared = true;
    }

    for (xmlAttrPtr attribute = element->properties; attribute; attribute = attribute->next) {
      const xmlNsPtr ns = attribute->ns;
      if (!ns || is_xml_namespace(ns)) continue;
      // Default namespaces do not apply to attributes; a tree that says otherwise was not parsed.
      if (empty(ns->prefix)) return C14nOutcome::declined_attribute;
      const bool already = rendered(ns->prefix, ns->href, true);
      rendered_.push_back(ns);
      if (!already) to_declare_.push_back(ns);
    }

    // xmlns="" undeclares an inherited default namespace that a rendered ancestor declared.
    if (!default_declared &&
        ((default_utilized && !default_in_prefix_list && !rendered(nullptr, nullptr, true)) ||
         (default_in_prefix_list && !rendered(nullptr, nullptr, false))))
      out_->append(" xmlns=\"\"");

    std::sort(to_declare_.begin(), to_declare_.end(),
              [](xmlNsPtr a, xmlNsPtr b) { return compare(a->prefix, b->prefix) < 0; });
    for (std::size_t i = 0; i < to_declare_.size(); ++i) {
      const xmlNsPtr ns = to_declare_[i];
      if (i > 0 && compare(to_declare_[i - 1]->prefix, ns->prefix) == 0) return C14nOutcome::declined_order;
      if (ns->prefix) {
        out_->append(" xmlns:");
        out_->append(text(ns->prefix));
        out_->append("=\"");
      } else {
        out_->append(" xmlns=\"");
      }
      if (ns->href) out_->append(text(ns->href));  // libxml2 writes it unescaped; '"' was declined
      out_->push_back('"');
    }
    return C14nOutcome::written;
  }

  // libxml2's order: attributes in no namespace first by local name, then by namespace URI
  // and local name.
  static int attribute_order(xmlAttrPtr a, xmlAttrPtr b) {
    if (a->ns == b->ns) return compare(a->name, b->name);
    if (!a->ns) return -1;
    if (!b->ns) return 1;
    const int by_uri = compare(a->ns->href, b->ns->href);
    return by_uri ? by_uri : compare(a->name, b->name);
  }

  C14nOutcome attribute_axis(xmlNodePtr element) {
    attributes_.clear();
    for (xmlAttrPtr attribute = element->properties; attribute; attribute = attribute->next) {
      for (xmlNodePtr part = attribute->children; part; part = part->next)
        if (part->type != XML_TEXT_NODE && part->type != XML_CDATA_SECTION_NODE) return C14nOutcome::declined_attribute;
      attributes_.push_back(attribute);
    }
    std::sort(attributes_.begin(), attributes_.end(),
              [](xmlAttrPtr a, xmlAttrPtr b) { return attribute_order(a, b) < 0; });
    std::string& out = *out_;
    for (std::size_t i = 0; i < attributes_.size(); ++i) {
      const xmlAttrPtr attribute = attributes_[i];
      if (i > 0 && attribute_order(attributes_[i - 1], attribute) == 0) return C14nOutcome::declined_order;
      out.push_back(' ');
      if (attribute->ns && !empty(attribute->ns->prefix)) {
        out.append(text(attribute->ns->prefix));
        out.push_back(':');
      }
      out.append(text(attribute->name));
      out.append("=\"");
      for (xmlNodePtr part = attribute->children; part; part = part->next)
        if (part->content) append_escaped<EscapedIn::attribute>(out, part->content);
      out.push_back('"');
    }
    return C14nOutcome::written;
  }

  std::string* out_ = nullptr;
  PrefixList prefixes_;
  xmlNodePtr excluded_ = nullptr;
  std::vector<xmlNsPtr> rendered_;
  std::size_t previous_start_ = 0;
  std::size_t previous_end_ = 0;
  std::vector<OpenElement> open_;
  std::vector<xmlNsPtr> to_declare_;
  std::vector<xmlAttrPtr> attributes_;
  Position position_ = Position::before_document_element;
  bool next_element_is_document_element_ = true;
  AcceptedNamespaceUris accepted_uris_;
};

thread_local Writer writer;

}  // namespace

std::string_view describe(C14nOutcome outcome) {
  switch (outcome) {
    case C14nOutcome::written: return "written";
    case C14nOutcome::declined_namespace_uri: return "declined: namespace URI";
    case C14nOutcome::declined_node: return "declined: node type";
    case C14nOutcome::declined_attribute: return "declined: attribute";
    case C14nOutcome::declined_order: return "declined: order";
  }
  return "unknown";
}

C14nOutcome exclusive_c14n_of_document(xmlDocPtr doc, bool root_only, xmlNodePtr excluded, PrefixList prefixes,
                                       std::string& out) {
  return writer.document(doc, root_only, excluded, prefixes, out);
}

C14nOutcome exclusive_c14n_of_subtree(xmlNodePtr element, PrefixList prefixes, std::string& out) {
  return writer.element_alone(element, prefixes, out);
}

}  // namespace stagegate::signing
