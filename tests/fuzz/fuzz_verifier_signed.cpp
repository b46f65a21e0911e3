// The verifier fed with documents that are well formed AND validly signed, so fuzzing reaches
// past the byte, DOCTYPE and shape checks into c14n, digests, transforms, the signature value
// and the certificate path. A libFuzzer custom mutator parses the input, mutates inside the
// tree (text, attributes, namespace declarations, elements, comments, the root's Id), picks
// the algorithms (canonicalizations, digests, signature methods among the allowed ones, and
// now and then a refused one), a signer and the certificates sent (valid, expired, revoked,
// under a subordinate CA that is revoked or whose CRL expired, foreign CAs, EC and RSA),
// re-signs, and sometimes tweaks bytes of the signed result. Inputs stay plain documents, so
// a crash reproduces with `fuzz_verifier_signed <file>` (or fuzz_verifier).
//
// Invariants checked on every input: a verified document has canonical XML, untrusted input
// never yields INTERNAL, and our exclusive c14n writes what libxml2's does, or declines.
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlstring.h>
#include <xmlsec/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include "handles.h"
#include "stagegate/signing/pki.h"
#include "outcome_tally.h"
#include "support/c14n_differential.h"
#include "stagegate/signing/verifier.h"
#include "xmlsec_library.h"

extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

namespace {

namespace fs = std::filesystem;
using namespace stagegate::signing;

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The base64 bodies of the PEM certificates in a file, as X509Certificate carries them.
std::vector<std::string> certificates_base64(const fs::path& pem) {
  std::vector<std::string> bodies;
  std::istringstream lines(read_text(pem));
  std::string line;
  std::string body;
  bool inside = false;
  while (std::getline(lines, line)) {
    if (line.starts_with("-----BEGIN CERTIFICATE")) {
      inside = true;
      body.clear();
    } else if (line.starts_with("-----END CERTIFICATE")) {
      inside = false;
      bodies.push_back(body);
    } else if (inside) {
      body += line;
    }
  }
  return bodies;
}

struct SigningIdentity {
  SecKey key;
  bool ecdsa = false;
  std::vector<std::string> chain;  // leaf first, then any intermediates to send
};

// Everything built once: the signers, the verifier under test, the base document.
struct World {
  fs::path dir;
  std::vector<SigningIdentity> signers;  // [0] is the valid RSA provider
  std::string ca_base64;
  std::string base_document;
  std::unique_ptr<Verifier> verifier;

  World() {
    stagegate::signing::ensure_xmlsec();
    const fs::path data = STAGEGATE_TEST_DATA "/pki";
    dir = fs::temp_directory_path() / ("stagegate-fuzz-signed-" + std::to_string(::getpid()));
    fs::create_directories(dir / "root");
    // The committed test CA (so saved inputs signed by its committed signers stay valid), its
    // key copied out so the generated CRLs and certificates are written here, not in the tree.
    fs::copy_file(data / "ca.key", dir / "root" / "ca.key", fs::copy_options::overwrite_existing);
    fs::copy_file(data / "ca.pem", dir / "root" / "ca.pem", fs::copy_options::overwrite_existing);
    const auto root = Pki::open_or_create(dir / "root");
    CertificateRequest request;
    request.organization_bin = "050140001238";
    request.person_iin = "880501300451";

    for (const char* stem : {"provider", "other-provider", "expired", "not-yet-valid", "revoked", "no-digital-signature",
                             "self-signed"})
      add(data / (std::string(stem) + ".key"), {data / (std::string(stem) + ".pem")});
    add(data / "untrusted-ca" / "stranger.key", {data / "untrusted-ca" / "stranger.pem", data / "untrusted-ca" / "ca.pem"});

    request.common_name = "Fuzz EC signer";
    request.key_type = CertificateRequest::KeyType::EcP256;
    const auto ec = root.issue("ec-signer", request);
    add(ec.private_key, {ec.certificate});
    request.key_type = CertificateRequest::KeyType::Rsa2048;

    // Subordinate CAs, sent by the signer in X509Data: one in good standing, one revoked by
    // the root, one whose CRL has expired.
    std::vector<fs::path> crls;
    std::vector<fs::path> revoked_by_root{data / "revoked.pem"};
    for (const auto& [name, state] : {std::pair{"sub-good", 0}, std::pair{"sub-revoked", 1}, std::pair{"sub-stale", 2}}) {
      const auto sub = root.issue_authority(dir / name, std::string("fuzz ") + name + " CA");
      request.common_name = std::string("Signer under ") + name;
      const auto signer = sub.issue("signer", request);
      add(signer.private_key, {signer.certificate, sub.ca_certificate()});
      if (state == 1) revoked_by_root.push_back(sub.ca_certificate());
      crls.push_back(sub.revoke({}, "crl", state == 2 ? std::chrono::seconds(-3600) : std::chrono::seconds(86400 * 30)));
    }
    crls.push_back(root.revoke(revoked_by_root, "root"));
    ca_base64 = certificates_base64(data / "ca.pem").front();
    base_document = read_text(STAGEGATE_SAMPLES "/stage.xml");
    verifier = std::make_unique<Verifier>(Verifier::create(TrustConfig{{data / "ca.pem"}, crls}));
  }
  ~World() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }

  void add(const fs::path& key_file, const std::vector<fs::path>& certificate_files) {
    SigningIdentity identity;
    identity.key.reset(xmlSecCryptoAppKeyLoad(key_file.c_str(), xmlSecKeyDataFormatPem, nullptr, nullptr, nullptr));
    if (!identity.key) throw std::runtime_error("cannot load " + key_file.string());
    identity.ecdsa = xmlSecKeyDataCheckId(xmlSecKeyGetValue(identity.key.get()), xmlSecOpenSSLKeyDataEcdsaId);
    for (const auto& file : certificate_files)
      for (auto& body : certificates_base64(file)) identity.chain.push_back(std::move(body));
    signers.push_back(std::move(identity));
  }
};

World* world = nullptr;

const xmlChar* x(const char* text) { return reinterpret_cast<const xmlChar*>(text); }

class Mutation {
 public:
  Mutation(std::uint8_t* data, std::size_t size, std::size_t max_size, unsigned seed)
      : data_(data), size_(size), max_size_(max_size), random_(seed) {}

  std::size_t run() {
    if (chance(12)) return LLVMFuzzerMutate(data_, size_, max_size_);  // raw bytes: keep the guards fuzzed too
    XmlDoc doc(parse(std::string_view(reinterpret_cast<const char*>(data_), size_)));
    if (!doc || !xmlDocGetRootElement(doc.get()) || chance(40)) doc.reset(parse(world->base_document));
    if (!doc) return size_;
    root_ = xmlDocGetRootElement(doc.get());
    remove_signatures();
    for (int steps = 1 + pick(4); steps > 0; --steps) mutate_tree();
    if (!sign(doc.get())) return size_;
    auto bytes = serialize(doc.get());
    if (chance(6)) tweak_signature_bytes(bytes);
    if (bytes.size() > max_size_) return size_;
    std::copy(bytes.begin(), bytes.end(), data_);
    return bytes.size();
  }

 private:
  unsigned pick(unsigned n) { return n ? static_cast<unsigned>(random_() % n) : 0; }
  bool chance(unsigned one_in) { return pick(one_in) == 0; }

  static xmlDocPtr parse(std::string_view bytes) {
    // Never entities or DTDs: the mutator must not be the thing that explodes.
    if (bytes.find("<!DOCTYPE") != std::string_view::npos || bytes.find("<!ENTITY") != std::string_view::npos)
      return nullptr;
    return xmlReadMemory(bytes.data(), static_cast<int>(bytes.size()), "fuzz.xml", nullptr,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  }

  static bool is_signature(xmlNodePtr node) {
    return node->type == XML_ELEMENT_NODE && node->ns &&
           xmlStrEqual(node->ns->href, x("http://www.w3.org/2000/09/xmldsig#")) && xmlStrEqual(node->name, x("Signature"));
  }

  void remove_signatures() {
    for (xmlNodePtr child = root_->children, next = nullptr; child; child = next) {
      next = child->next;
      if (is_signature(child) && !chance(30)) {  // now and then one stays: a second signature
        xmlUnlinkNode(child);
        xmlFreeNode(child);
      }
    }
  }

  void collect(xmlNodePtr node, std::vector<xmlNodePtr>& elements) {
    for (; node; node = node->next)
      if (node->type == XML_ELEMENT_NODE && !is_signature(node)) {
        elements.push_back(node);
        collect(node->children, elements);
      }
  }

  // Mutated text restricted to what XML 1.0 can carry, plus some non-ASCII.
  std::string mutated_text(std::string text) {
    const std::size_t original = text.size();
    const std::size_t capacity = original + 32;
    text.resize(capacity);
    text.resize(LLVMFuzzerMutate(reinterpret_cast<std::uint8_t*>(text.data()), original, capacity));
    std::string clean;
    for (const unsigned char c : text) {
      if (c >= 0x80) {
        static const char* const kWide[] = {"Ә", "ё", "І", "€", "\xF0\x9F\x98\x80", "\xC2\xA0"};
        clean += kWide[c % 6];
      } else if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') {
        clean += static_cast<char>(c);
      }
    }
    return clean;
  }

  void mutate_tree() {
    std::vector<xmlNodePtr> elements;
    collect(root_, elements);
    if (elements.empty()) return;
    xmlNodePtr element = elements[pick(static_cast<unsigned>(elements.size()))];
    static const char* const kNamespaces[] = {"urn:stagegate:stage:1", "http://www.w3.org/2000/09/xmldsig#",
                                              "urn:other", "http://www.w3.org/XML/1998/namespace-not", ""};
    static const char* const kPrefixes[] = {nullptr, "ds", "a", "b", "xsi", "s"};
    static const char* const kNames[] = {"code", "at", "Id", "id", "ID", "bin", "a", "type", "xml:space", "xml:lang"};
    switch (pick(9)) {
      case 0:
      case 1: {  // text content
        const bool has_text = element->children && element->children->type == XML_TEXT_NODE && element->children->content;
        const std::string text =
            mutated_text(has_text ? reinterpret_cast<const char*>(element->children->content) : "");
        xmlNodePtr text_node = xmlNewTextLen(x(text.c_str()), static_cast<int>(text.size()));
        if (element->children && element->children->type == XML_TEXT_NODE) {
          xmlNodePtr old_text = xmlReplaceNode(element->children, text_node);
          xmlFreeNode(old_text);
        } else {
          xmlAddChild(element, text_node);
        }
        break;
      }
      case 2: {  // an attribute set, changed or removed
        const char* name = kNames[pick(10)];
        if (chance(4)) {
          xmlUnsetProp(element, x(name));
        } else {
          XmlChars old(xmlGetProp(element, x(name)));
          const auto value = mutated_text(old ? reinterpret_cast<const char*>(old.get()) : "");
          if (std::string_view(name).starts_with("xml:")) {
            xmlNsPtr xml_ns = xmlSearchNs(element->doc, element, x("xml"));
            if (xml_ns) xmlSetNsProp(element, xml_ns, x(name + 4), x(value.c_str()));
          } else {
            xmlSetProp(element, x(name), x(value.c_str()));
          }
        }
        break;
      }
      case 3: {  // a namespace declared, and maybe put to use (c14n inclusive vs exclusive)
        const char* prefix = kPrefixes[pick(6)];
        const char* href = kNamespaces[pick(5)];
        if (!*href && prefix) break;  // prefixes cannot be undeclared in XML 1.0
        xmlNsPtr ns = xmlNewNs(element, x(href), prefix ? x(prefix) : nullptr);
        if (ns && chance(2)) xmlSetNs(element, ns);
        if (ns && prefix && chance(3)) xmlNewNsProp(element, ns, x("flag"), x("1"));
        break;
      }
      case 4: {  // an element copied next to itself
        if (element == root_) break;
        xmlNodePtr copy = xmlDocCopyNode(element, element->doc, 1);
        if (copy && !xmlAddNextSibling(element, copy)) xmlFreeNode(copy);
        break;
      }
      case 5: {  // an element removed or renamed
        if (element != root_ && chance(2)) {
          xmlUnlinkNode(element);
          xmlFreeNode(element);
        } else {
          xmlNodeSetName(element, x(kNames[pick(10)]));
        }
        break;
      }
      case 6: {  // a comment, processing instruction or CDATA section
        xmlNodePtr extra = nullptr;
        switch (pick(3)) {
          case 0: extra = xmlNewDocComment(element->doc, x("c")); break;
          case 1: extra = xmlNewDocPI(element->doc, x("pi"), x("data")); break;
          default: extra = xmlNewCDataBlock(element->doc, x("<x>&amp;</x>"), 12); break;
        }
        if (element->children && chance(2)) xmlAddPrevSibling(element->children, extra);
        else xmlAddChild(element, extra);
        break;
      }
      case 7: {  // whitespace between elements (what c14n keeps and formatting changes)
        xmlAddChild(element, xmlNewDocText(element->doc, x(chance(2) ? "\n  " : "\r\n\t")));
        break;
      }
      default:  // the root's Id, which a reference by Id names
        xmlSetProp(root_, x(chance(4) ? "ID" : "Id"), x(chance(3) ? "stage-1" : "s"));
        break;
    }
  }

  template <std::size_t N>
  xmlSecTransformId choose(const xmlSecTransformId (&allowed)[N], xmlSecTransformId refused) {
    return chance(48) ? refused : allowed[pick(N)];
  }

  // xmlsec leaks a little when canonicalization fails while signing (e.g. a relative
  // namespace URI); LeakSanitizer would blame the next input. Such trees are not signed.
  static bool canonicalizable(xmlDocPtr doc) {
    xmlChar* bytes = nullptr;
    const int size = xmlC14NDocDumpMemory(doc, nullptr, XML_C14N_1_0, nullptr, 1, &bytes);
    XmlChars owned(bytes);
    return size >= 0;
  }

  bool sign(xmlDocPtr doc) {
    if (!canonicalizable(doc)) return false;
    const auto& signer = world->signers[chance(2) ? 0 : pick(static_cast<unsigned>(world->signers.size()))];
    const xmlSecTransformId c14ns[] = {xmlSecTransformInclC14NId, xmlSecTransformInclC14NWithCommentsId,
                                       xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId};
    const xmlSecTransformId digests[] = {xmlSecTransformSha256Id, xmlSecTransformSha384Id, xmlSecTransformSha512Id};
    const xmlSecTransformId rsa[] = {xmlSecTransformRsaSha256Id, xmlSecTransformRsaSha384Id, xmlSecTransformRsaSha512Id};
    const xmlSecTransformId ecdsa[] = {xmlSecTransformEcdsaSha256Id, xmlSecTransformEcdsaSha384Id};
    const auto method = signer.ecdsa ? choose(ecdsa, xmlSecTransformEcdsaSha1Id) : choose(rsa, xmlSecTransformRsaSha1Id);
    static const char* const kSignaturePrefixes[] = {"ds", nullptr, "sig"};  // nullptr: the default namespace
    const char* prefix = kSignaturePrefixes[pick(3)];
    xmlNodePtr signature = xmlSecTmplSignatureCreateNsPref(doc, choose(c14ns, xmlSecTransformInclC14N11Id), method,
                                                           nullptr, prefix ? x(prefix) : nullptr);
    if (!signature) return false;
    if (root_->children && chance(8)) xmlAddPrevSibling(root_->children, signature);
    else xmlAddChild(root_, signature);

    std::string uri;
    if (xmlAttrPtr id = xmlHasProp(root_, x("Id")); id && id->children && id->children->content && chance(3)) {
      uri = std::string("#") + reinterpret_cast<const char*>(id->children->content);
      if (!xmlGetID(doc, id->children->content)) xmlAddID(nullptr, doc, id->children->content, id);
    }
    xmlNodePtr reference =
        xmlSecTmplSignatureAddReference(signature, choose(digests, xmlSecTransformSha1Id), nullptr, x(uri.c_str()), nullptr);
    if (!reference) return false;
    if (!chance(40) && !xmlSecTmplReferenceAddTransform(reference, xmlSecTransformEnvelopedId)) return false;
    xmlNodePtr c14n = xmlSecTmplReferenceAddTransform(reference, choose(c14ns, xmlSecTransformXPathId));
    if (!c14n) return false;
    if (chance(4)) {  // an InclusiveNamespaces PrefixList (meant for exclusive c14n)
      // Built by hand: xmlSecTmplTransformAddC14NInclNamespaces leaks on some lists, and
      // LeakSanitizer would blame the next input.
      xmlNodePtr list = xmlNewChild(c14n, nullptr, x("InclusiveNamespaces"), nullptr);
      xmlSetNs(list, xmlNewNs(list, x("http://www.w3.org/2001/10/xml-exc-c14n#"), x("ec")));
      xmlSetProp(list, x("PrefixList"), x(chance(2) ? "#default a" : "ds xsi"));
    }
    if (chance(40)) xmlSecTmplReferenceAddTransform(reference, xmlSecTransformExclC14NId);  // a third transform

    DSigCtx ctx(xmlSecDSigCtxCreate(nullptr));
    if (!ctx) return false;
    ctx->signKey = xmlSecKeyDuplicate(signer.key.get());
    if (!ctx->signKey || xmlSecDSigCtxSign(ctx.get(), signature) < 0) {
      stagegate::signing::take_xmlsec_error();
      return false;
    }
    add_key_info(signature, signer);
    return true;
  }

  // KeyInfo is outside what is signed, so the certificates sent are chosen after signing.
  void add_key_info(xmlNodePtr signature, const SigningIdentity& signer) {
    auto chain = signer.chain;
    switch (pick(10)) {
      case 0: chain.push_back(world->ca_base64); break;                           // the anchor sent along
      case 1: if (chain.size() > 1) chain.pop_back(); break;                      // intermediate missing
      case 2: std::reverse(chain.begin(), chain.end()); break;                    // wrong order
      case 3: chain.front() = world->signers[pick(static_cast<unsigned>(world->signers.size()))].chain.front(); break;
      default: break;
    }
    xmlNodePtr key_info = xmlNewChild(signature, signature->ns, x("KeyInfo"), nullptr);
    xmlNodePtr data = xmlNewChild(key_info, signature->ns, x("X509Data"), nullptr);
    for (const auto& certificate : chain) {
      if (chance(12)) data = xmlNewChild(key_info, signature->ns, x("X509Data"), nullptr);  // split over several
      std::string text = certificate;
      if (chance(8)) text.insert(pick(static_cast<unsigned>(text.size())), "\n");  // base64 line breaks
      xmlNewTextChild(data, signature->ns, x("X509Certificate"), x(text.c_str()));
    }
  }

  std::string serialize(xmlDocPtr doc) {
    xmlChar* text = nullptr;
    int size = 0;
    if (chance(16)) xmlDocDumpFormatMemoryEnc(doc, &text, &size, "UTF-8", 1);  // re-indented after signing
    else xmlDocDumpMemoryEnc(doc, &text, &size, "UTF-8");
    XmlChars owned(text);
    return owned ? std::string(reinterpret_cast<const char*>(owned.get()), static_cast<std::size_t>(size)) : "";
  }

  // A few bytes of the signed result changed: in the digest, the signature value, a
  // certificate, or anywhere in the Signature element.
  void tweak_signature_bytes(std::string& bytes) {
    static const char* const kTargets[] = {"DigestValue>", "SignatureValue>", "X509Certificate>", "Signature", "Algorithm=\""};
    const auto at = bytes.find(kTargets[pick(5)]);
    if (at == std::string::npos) return;
    const auto start = at + 16 + pick(24);
    if (start >= bytes.size()) return;
    const std::size_t window = std::min<std::size_t>(bytes.size() - start, 8);
    std::string part = bytes.substr(start, window);
    part.resize(window + 8);
    part.resize(LLVMFuzzerMutate(reinterpret_cast<std::uint8_t*>(part.data()), window, window + 8));
    bytes.replace(start, window, part);
  }

  std::uint8_t* data_;
  std::size_t size_;
  std::size_t max_size_;
  std::minstd_rand random_;
  xmlNodePtr root_ = nullptr;
};

}  // namespace

extern "C" void ignore_libxml2_message(void*, const char*, ...) {}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Built before the first input, so key and CRL generation is not counted as coverage.
  static World instance;
  // libxml2 prints c14n and encoding complaints about mutated trees; the outcomes say enough.
  xmlSetGenericErrorFunc(nullptr, ignore_libxml2_message);
  world = &instance;
  return 0;
}

extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  return Mutation(data, size, max_size, seed).run();
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto result = world->verifier->verify(std::string_view(reinterpret_cast<const char*>(data), size));
  static stagegate::fuzz::OutcomeTally tally;
  tally.add(result);
  if (result && (result->canonical_xml.empty() || result->canonical_xml.front() != '<'))
    throw std::logic_error("verified document without canonical XML");
  if (!result && result.refusal().code == stagegate::Code::Internal)
    throw std::logic_error("internal error on untrusted input: " + result.refusal().reason);
  if (const auto disagreement = stagegate::test::c14n_disagreement(std::string_view(reinterpret_cast<const char*>(data), size));
      !disagreement.empty())
    throw std::logic_error("our exclusive c14n differs from libxml2's: " + disagreement);
  return 0;
}
