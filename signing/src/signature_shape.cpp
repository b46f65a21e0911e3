#include "signature_shape.h"

#include <libxml/valid.h>

#include <array>
#include <string_view>

#include "handles.h"

namespace stagegate::signing {
namespace {

constexpr std::string_view kDsig = "http://www.w3.org/2000/09/xmldsig#";
constexpr std::string_view kEnveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
constexpr std::array<std::string_view, 4> kCanonicalizations{
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
    "http://www.w3.org/2001/10/xml-exc-c14n#",
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
};
constexpr std::array<std::string_view, 5> kSignatureMethods{
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
};
constexpr std::array<std::string_view, 3> kDigestMethods{
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
};

Canonicalization canonicalization(xmlNodePtr element, std::string_view algorithm) {
  return {element, algorithm.find("xml-exc-c14n") != std::string_view::npos, algorithm.ends_with("#WithComments")};
}

// kDigestMethods and the digests of kSignatureMethods, by their URI's ending.
DigestAlgorithm digest_named_in(std::string_view algorithm) {
  if (algorithm.ends_with("sha384")) return DigestAlgorithm::sha384;
  if (algorithm.ends_with("sha512")) return DigestAlgorithm::sha512;
  return DigestAlgorithm::sha256;
}

template <std::size_t N>
bool one_of(std::string_view value, const std::array<std::string_view, N>& allowed) {
  for (const auto candidate : allowed)
    if (candidate == value) return true;
  return false;
}

bool is_dsig(xmlNodePtr node, std::string_view name) {
  return node && node->type == XML_ELEMENT_NODE && node->ns && kDsig == reinterpret_cast<const char*>(node->ns->href) &&
         name == reinterpret_cast<const char*>(node->name);
}

// The element children of a node: how many, and the first few (the profile never needs more
// than three of them). Read without allocating; this runs for every message.
struct ElementChildren {
  std::array<xmlNodePtr, 4> first{};
  std::size_t count = 0;

  std::size_t size() const { return count; }
  bool empty() const { return count == 0; }
  xmlNodePtr operator[](std::size_t i) const { return first[i]; }
};

ElementChildren element_children(xmlNodePtr parent) {
  ElementChildren children;
  for (auto child = parent->children; child; child = child->next)
    if (child->type == XML_ELEMENT_NODE) {
      if (children.count < children.first.size()) children.first[children.count] = child;
      ++children.count;
    }
  return children;
}

// The value of an attribute in no namespace, as xmlGetNoNsProp reads it (no DTD defaults
// here: a DOCTYPE never gets this far), viewed in place when it is one text node, as it
// nearly always is, and copied only otherwise.
class Attribute {
 public:
  Attribute(xmlNodePtr node, const char* name) {
    const xmlAttrPtr attr = xmlHasNsProp(node, reinterpret_cast<const xmlChar*>(name), nullptr);
    if (!attr || attr->type != XML_ATTRIBUTE_NODE) return;
    present_ = true;
    const xmlNodePtr text = attr->children;
    if (text && !text->next && (text->type == XML_TEXT_NODE || text->type == XML_CDATA_SECTION_NODE)) {
      if (text->content) value_ = reinterpret_cast<const char*>(text->content);
      return;
    }
    copy_.reset(xmlNodeListGetString(node->doc, attr->children, 1));
    if (copy_) value_ = reinterpret_cast<const char*>(copy_.get());
  }
  Attribute(const Attribute&) = delete;
  Attribute& operator=(const Attribute&) = delete;

  bool present() const { return present_; }
  std::string_view value() const { return value_; }

 private:
  XmlChars copy_;
  std::string_view value_;
  bool present_ = false;
};


// xmlNodeGetContent of an element or attribute, copied once: straight from the one text
// child it nearly always has (a certificate is 1-2 KB of base64), else through libxml2.
std::string text_of(xmlNodePtr node) {
  const xmlNodePtr text = node->children;
  if ((node->type == XML_ELEMENT_NODE || node->type == XML_ATTRIBUTE_NODE) && text && !text->next &&
      text->type == XML_TEXT_NODE)
    return text->content ? reinterpret_cast<const char*>(text->content) : "";
  XmlChars value(xmlNodeGetContent(node));
  return value ? reinterpret_cast<const char*>(value.get()) : "";
}

Refusal invalid(std::string reason) { return refuse(Code::SignatureInvalid, std::move(reason)); }

// A comment in the signed element that the digest did not cover (c14n without comments)
// is content nobody signed: a reader that keeps comments, or splits text at them, would
// see something else than the signer did.
bool has_unsigned_comment(xmlNodePtr node) {
  for (; node; node = node->next) {
    if (node->type == XML_COMMENT_NODE) return true;
    if (node->type == XML_ELEMENT_NODE && !is_dsig(node, "Signature") && has_unsigned_comment(node->children)) return true;
  }
  return false;
}

void count_signatures(xmlNodePtr node, int& count) {
  for (; node; node = node->next) {
    if (node->type != XML_ELEMENT_NODE) continue;
    if (is_dsig(node, "Signature")) ++count;
    count_signatures(node->children, count);
  }
}

// Id-like attributes anywhere with this value; a reference must name exactly one element.
void count_ids(xmlNodePtr node, const std::string& value, int& count) {
  for (; node; node = node->next) {
    if (node->type != XML_ELEMENT_NODE) continue;
    for (auto attr = node->properties; attr; attr = attr->next) {
      const std::string_view name = reinterpret_cast<const char*>(attr->name);
      if ((name == "Id" || name == "ID" || name == "id") && text_of(reinterpret_cast<xmlNodePtr>(attr)) == value) ++count;
    }
    count_ids(node->children, value, count);
  }
}

Status check_reference(xmlDocPtr doc, xmlNodePtr root, xmlNodePtr reference, SignatureShape& shape) {
  const Attribute uri_attribute(reference, "URI");
  if (!uri_attribute.present()) return invalid("Reference without URI");
  const std::string_view uri = uri_attribute.value();
  if (!uri.empty()) {
    if (uri.size() < 2 || uri[0] != '#' || uri.find_first_of("()/ ") != std::string_view::npos)
      return invalid("Reference URI must be \"\" or \"#<Id of the root>\"");
    const std::string id(uri.substr(1));
    xmlAttrPtr root_id = nullptr;
    for (const char* name : {"Id", "ID", "id"})
      if (!root_id) root_id = xmlHasProp(root, reinterpret_cast<const xmlChar*>(name));
    if (!root_id || text_of(reinterpret_cast<xmlNodePtr>(root_id)) != id)
      return invalid("Reference URI does not name the document root");
    int count = 0;
    count_ids(root, id, count);
    if (count != 1) return invalid("Reference Id is not unique in the document");
    // Without a DTD libxml2 knows no ID attributes: declare the root's, and only it.
    if (!xmlGetID(doc, reinterpret_cast<const xmlChar*>(id.c_str())))
      xmlAddID(nullptr, doc, reinterpret_cast<const xmlChar*>(id.c_str()), root_id);
    shape.reference_by_id = true;
  }
  const auto parts = element_children(reference);
  if (parts.size() != 3 || !is_dsig(parts[0], "Transforms") || !is_dsig(parts[1], "DigestMethod") ||
      !is_dsig(parts[2], "DigestValue"))
    return invalid("Reference must hold Transforms, DigestMethod, DigestValue");
  const auto transforms = element_children(parts[0]);
  if (transforms.size() != 2 || !is_dsig(transforms[0], "Transform") || !is_dsig(transforms[1], "Transform"))
    return invalid("Reference transforms must be enveloped-signature then one canonicalization");
  if (Attribute(transforms[0], "Algorithm").value() != kEnveloped)
    return invalid("first transform must be enveloped-signature");
  const Attribute c14n_attribute(transforms[1], "Algorithm");
  const std::string_view c14n = c14n_attribute.value();
  if (!one_of(c14n, kCanonicalizations)) return invalid("transform not allowed: " + std::string(c14n));
  if (!c14n.ends_with("#WithComments") && has_unsigned_comment(root->children))
    return invalid("a comment inside the signed document is not covered by the signature (canonicalization without comments)");
  const Attribute digest_attribute(parts[1], "Algorithm");
  const std::string_view digest = digest_attribute.value();
  if (!one_of(digest, kDigestMethods)) return invalid("digest method not allowed: " + std::string(digest));
  shape.reference_c14n = canonicalization(transforms[1], c14n);
  shape.reference_digest = digest_named_in(digest);
  shape.digest_value = parts[2];
  return proceed();
}

}  // namespace

Result<SignatureShape> check_signature_shape(xmlDocPtr doc) {
  const auto root = xmlDocGetRootElement(doc);
  int signatures = 0;
  count_signatures(root, signatures);
  if (signatures == 0) return invalid("no ds:Signature");
  if (signatures > 1) return invalid("more than one ds:Signature");

  SignatureShape shape;
  for (auto child = root->children; child; child = child->next)
    if (is_dsig(child, "Signature")) shape.signature = child;
  if (!shape.signature) return invalid("ds:Signature must be a child of the document root");

  const auto parts = element_children(shape.signature);
  if (parts.size() != 3 || !is_dsig(parts[0], "SignedInfo") || !is_dsig(parts[1], "SignatureValue") ||
      !is_dsig(parts[2], "KeyInfo"))
    return invalid("Signature must hold SignedInfo, SignatureValue, KeyInfo (and nothing else)");

  const auto signed_info = element_children(parts[0]);
  if (signed_info.size() != 3 || !is_dsig(signed_info[0], "CanonicalizationMethod") ||
      !is_dsig(signed_info[1], "SignatureMethod") || !is_dsig(signed_info[2], "Reference"))
    return invalid("SignedInfo must hold CanonicalizationMethod, SignatureMethod and exactly one Reference");
  const Attribute c14n_attribute(signed_info[0], "Algorithm");
  const std::string_view c14n = c14n_attribute.value();
  if (!one_of(c14n, kCanonicalizations)) return invalid("canonicalization not allowed: " + std::string(c14n));
  const Attribute method_attribute(signed_info[1], "Algorithm");
  const std::string_view method = method_attribute.value();
  if (!one_of(method, kSignatureMethods)) return invalid("signature method not allowed: " + std::string(method));
  if (!element_children(signed_info[1]).empty()) return invalid("SignatureMethod parameters are not allowed");
  if (const auto status = check_reference(doc, root, signed_info[2], shape); !status) return status.refusal();
  shape.signed_info = parts[0];
  shape.signature_value = parts[1];
  shape.signed_info_c14n = canonicalization(signed_info[0], c14n);
  shape.ecdsa = method.find("#ecdsa-") != std::string_view::npos;
  shape.signature_digest = digest_named_in(method);

  for (auto data = parts[2]->children; data; data = data->next) {
    if (data->type != XML_ELEMENT_NODE) continue;
    if (!is_dsig(data, "X509Data")) return invalid("KeyInfo may hold only X509Data (keys given otherwise are never trusted)");
    for (auto item = data->children; item; item = item->next) {
      if (item->type != XML_ELEMENT_NODE) continue;
      if (!is_dsig(item, "X509Certificate")) return invalid("X509Data may hold only X509Certificate");
      shape.certificates_base64.push_back(text_of(item));
    }
  }
  if (shape.certificates_base64.empty()) return invalid("KeyInfo has no X509Data/X509Certificate");
  return shape;
}

}  // namespace stagegate::signing
