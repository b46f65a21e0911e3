#include "send_message_reader.h"

#include <cstdint>

namespace stagegate::adapters {
namespace {

using namespace std::string_view_literals;

constexpr std::string_view kSoap12Envelope = "http://www.w3.org/2003/05/soap-envelope";
constexpr std::string_view kSoap12Encoding = "http://www.w3.org/2003/05/soap-encoding";

// namespace_uris_read() after gSOAP (2.8.124) read an envelope the reader accepts. gSOAP
// records an `out` URI only for a URI that matched an entry's pattern rather than its URI: of
// the URIs the reader takes, only the SOAP 1.2 envelope's. (The differential tests hold these.)
constexpr std::string_view kSoap11NamespaceUris = "\0\0\0\0\0\0"sv;
constexpr std::string_view kSoap12NamespaceUris = "http://www.w3.org/2003/05/soap-envelope\0\0\0\0\0\0"sv;

// URIs longer than this are declined (gSOAP's limits on attribute values are not ours to guess).
constexpr std::size_t kLongestNamespaceUri = 1024;
// Nested namespace declarations the reader keeps; more are declined.
constexpr std::size_t kMostBindings = 24;

enum class Uri : std::uint8_t {
  none,  // undeclared, or the default namespace undeclared by xmlns=""
  soap11_envelope,
  soap12_envelope,
  soap11_encoding,
  soap12_encoding,
  schema_instance,
  schema,
  interfaces,
  types,
  foreign,  // a URI no entry of the table names or can match (so gSOAP records nothing for it)
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// ASCII name characters, by byte (a table: names are most of what the reader scans).
constexpr std::array<bool, 256> kNameChars = [] {
  std::array<bool, 256> table{};
  for (int c = 'a'; c <= 'z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (int c = '0'; c <= '9'; ++c) table[static_cast<std::size_t>(c)] = true;
  for (const char c : {'_', '-', '.', ':'}) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool is_name_char(char c) { return kNameChars[static_cast<unsigned char>(c)]; }

// Bytes that text copies as they are: printable ASCII but '&' (and '<', which ends the text).
constexpr std::array<bool, 256> kPlainTextBytes = [] {
  std::array<bool, 256> table{};
  for (int c = 0x20; c < 0x7F; ++c) table[static_cast<std::size_t>(c)] = c != '&' && c != '<';
  for (const char c : {'\t', '\n', '\r'}) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// What gSOAP makes of a declared URI, for the URIs the reader accepts; nothing to decline.
std::optional<Uri> classify(std::string_view uri) {
  if (uri == kAssumedNamespaceTable[0].ns) return Uri::soap11_envelope;
  if (uri == kAssumedNamespaceTable[1].ns) return Uri::soap11_encoding;
  if (uri == kAssumedNamespaceTable[2].ns) return Uri::schema_instance;
  if (uri == kAssumedNamespaceTable[3].ns) return Uri::schema;
  if (uri == kAssumedNamespaceTable[4].ns) return Uri::interfaces;
  if (uri == kAssumedNamespaceTable[5].ns) return Uri::types;
  if (uri == kSoap12Envelope) return Uri::soap12_envelope;
  if (uri == kSoap12Encoding) return Uri::soap12_encoding;
  // The table's patterns all begin so (soap_tag_cmp compares ignoring case); any other such
  // URI might match one and change what gSOAP records.
  if (starts_with_ignoring_case(uri, "http://www.w3.org/")) return std::nullopt;
  return Uri::foreign;
}

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// XML characters, less U+FFFE/U+FFFF (a gSOAP built to replace illegal UTF-8 would) and the
// C0 controls but tab, newline and carriage return.
bool is_accepted_character(std::uint32_t code) {
  if (code < 0x20) return code == 0x9 || code == 0xA || code == 0xD;
  if (code >= 0xD800 && code <= 0xDFFF) return false;
  if (code == 0xFFFE || code == 0xFFFF) return false;
  return code <= 0x10FFFF;
}

// The length of the well-formed UTF-8 sequence of an accepted character at text[0] (a lead
// byte of 0x80 or more), or 0. gSOAP decodes such a sequence and encodes it again.
std::size_t utf8_sequence(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(text[i]); };
  const std::uint8_t lead = byte(0);
  std::size_t length = 0;
  std::uint32_t code = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3F);
  }
  const std::uint32_t shortest = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
  if (code < shortest || !is_accepted_character(code)) return 0;
  return length;
}

// A character reference's value: digits only, and short enough that gSOAP reads it whole
// (soap_char reads at most 7 characters, the ';' included, and leaves the rest as text: it
// reads "&#x1F600;" as U+1F600 followed by ";").
std::optional<std::uint32_t> character_reference(std::string_view name) {
  if (name.size() > 6 || name.size() < 2 || name[0] != '#') return std::nullopt;
  const bool hex = name[1] == 'x';
  const auto digits = name.substr(hex ? 2 : 1);
  if (digits.empty()) return std::nullopt;
  std::uint32_t value = 0;
  for (const char c : digits) {
    std::uint32_t digit = 0;
    if (c >= '0' && c <= '9') digit = static_cast<std::uint32_t>(c - '0');
    else if (hex && c >= 'a' && c <= 'f') digit = static_cast<std::uint32_t>(c - 'a' + 10);
    else if (hex && c >= 'A' && c <= 'F') digit = static_cast<std::uint32_t>(c - 'A' + 10);
    else return std::nullopt;
    value = value * (hex ? 16 : 10) + digit;  // at most 5 digits: no overflow
  }
  return value;
}

class Reader {
 public:
  Reader(std::string_view body, const RequestDataSpan& data) : body_(body), data_(data) {}

  std::optional<PlainSendMessage> read() {
    PlainSendMessage read;
    if (!prolog()) return std::nullopt;
    const auto envelope = start_tag();
    if (!envelope || envelope->empty) return std::nullopt;
    const auto envelope_uri = envelope->uri;
    if (envelope->local != "Envelope") return std::nullopt;
    if (envelope_uri != Uri::soap11_envelope && envelope_uri != Uri::soap12_envelope) return std::nullopt;
    // gSOAP 2.8.124 leaves soap->version at 1 for a 1.2 envelope too (it answers in 1.1 style
    // with the 1.2 envelope URI): the URI recorded is what tells them apart.
    read.soap_version = 1;

    skip_space();
    auto body = start_tag();
    if (!body) return std::nullopt;
    if (body->local == "Header" && body->uri == envelope_uri) {
      // Only an empty Header: an entry may be mustUnderstand, which gSOAP decides.
      if (!body->empty) {
        skip_space();
        if (!end_tag(body->name)) return std::nullopt;
      }
      skip_space();
      body = start_tag();
      if (!body) return std::nullopt;
    }
    if (body->empty || body->local != "Body" || body->uri != envelope_uri) return std::nullopt;

    skip_space();
    const auto operation = start_tag();
    if (!operation || operation->empty || operation->local != "SendMessage" || operation->uri != Uri::types)
      return std::nullopt;
    if (!open_unqualified("request") || !request_info(read.fields) || !request_data() || !close("request")) return std::nullopt;
    skip_space();
    if (!end_tag(operation->name)) return std::nullopt;
    skip_space();
    if (!end_tag(body->name)) return std::nullopt;
    skip_space();
    if (!end_tag(envelope->name)) return std::nullopt;
    skip_space();
    if (at_ != body_.size()) return std::nullopt;

    // Both envelope URIs would make either kind of element a SOAP-ENV one for gSOAP. An encoding
    // URI makes gSOAP record the 1.2 encoding for SOAP-ENC: the 1.2 one always, the 1.1 one in
    // a 1.2 envelope (the differential test found the latter).
    if (declared(Uri::soap11_envelope) && declared(Uri::soap12_envelope)) return std::nullopt;
    if (declared(Uri::soap12_encoding)) return std::nullopt;
    if (envelope_uri == Uri::soap12_envelope && declared(Uri::soap11_encoding)) return std::nullopt;
    read.namespace_uris = envelope_uri == Uri::soap11_envelope ? kSoap11NamespaceUris : kSoap12NamespaceUris;
    return read;
  }

 private:
  struct Tag {
    std::string_view name;   // as written, prefix included
    std::string_view local;  // without the prefix
    Uri uri = Uri::none;     // its namespace
    bool empty = false;      // <name/>
  };
  struct Binding {
    std::string_view prefix;  // empty: the default namespace
    Uri uri = Uri::none;
    unsigned depth = 0;
  };

  bool at_end() const { return at_ >= body_.size(); }
  char peek() const { return body_[at_]; }
  bool looking_at(std::string_view text) const { return body_.substr(at_).starts_with(text); }

  void skip_space() {
    while (!at_end() && is_space(peek())) ++at_;
  }

  // An optional XML declaration of UTF-8, then whitespace. (gSOAP switches to Latin-1 for
  // some encodings; no byte order mark, comment or other PI is taken.)
  bool prolog() {
    if (looking_at("<?")) {
      static constexpr std::array<std::string_view, 12> kDeclarations{
          R"(<?xml version="1.0"?>)",
          R"(<?xml version='1.0'?>)",
          R"(<?xml version="1.0" encoding="UTF-8"?>)",
          R"(<?xml version="1.0" encoding="utf-8"?>)",
          R"(<?xml version='1.0' encoding='UTF-8'?>)",
          R"(<?xml version='1.0' encoding='utf-8'?>)",
          R"(<?xml version="1.0" encoding="UTF-8" standalone="yes"?>)",
          R"(<?xml version="1.0" encoding="utf-8" standalone="yes"?>)",
          R"(<?xml version='1.0' encoding='UTF-8' standalone='yes'?>)",
          R"(<?xml version='1.0' encoding='utf-8' standalone='yes'?>)",
          R"(<?xml version="1.0" encoding="UTF-8" standalone="no"?>)",
          R"(<?xml version='1.0' encoding='UTF-8' standalone='no'?>)",
      };
      bool known = false;
      for (const auto declaration : kDeclarations)
        if (looking_at(declaration)) {
          at_ += declaration.size();
          known = true;
          break;
        }
      if (!known) return false;
    }
    skip_space();
    return true;
  }

  // A start tag at the cursor, its namespace declarations in scope until its end tag (an
  // empty element's go at once). No attributes but namespace declarations.
  std::optional<Tag> start_tag() {
    if (at_end() || peek() != '<') return std::nullopt;
    ++at_;
    const auto name = name_here();
    const auto colon = prefix_length(name);
    if (!colon) return std::nullopt;
    ++depth_;
    Tag tag{name, *colon ? name.substr(*colon + 1) : name, Uri::none, false};
    while (true) {
      const auto before = at_;
      skip_space();
      if (at_end()) return std::nullopt;
      if (peek() == '>') {
        ++at_;
        break;
      }
      if (looking_at("/>")) {
        at_ += 2;
        tag.empty = true;
        break;
      }
      if (at_ == before) return std::nullopt;  // attributes are separated by whitespace
      if (!namespace_declaration()) return std::nullopt;
    }
    // gSOAP refuses an undeclared prefix (but xml, which is declined here).
    const auto* binding = binding_of(*colon ? name.substr(0, *colon) : std::string_view());
    if (*colon && !binding) return std::nullopt;
    tag.uri = binding ? binding->uri : Uri::none;
    if (tag.empty) leave_element();
    return tag;
  }

  std::string_view name_here() {
    const auto from = at_;
    while (!at_end() && is_name_char(peek())) ++at_;
    return body_.substr(from, at_ - from);
  }

  // For NCName or prefix:NCName (ASCII only) the prefix's length (0 for none), else nothing.
  static std::optional<std::size_t> prefix_length(std::string_view name) {
    std::size_t colon = 0;
    for (std::size_t i = 0; i < name.size(); ++i)
      if (name[i] == ':') {
        if (colon || i == 0) return std::nullopt;
        colon = i;
      }
    if (name.empty() || starts_badly(name) || (colon && (colon + 1 == name.size() || starts_badly(name.substr(colon + 1)))))
      return std::nullopt;
    return colon;
  }
  static bool starts_badly(std::string_view ncname) {
    const char c = ncname[0];
    return c == '-' || c == '.' || c == ':' || (c >= '0' && c <= '9');
  }

  // xmlns="uri" or xmlns:prefix="uri": kept for the element being opened (depth_).
  bool namespace_declaration() {
    const auto name = name_here();
    std::string_view prefix;
    if (name == "xmlns") prefix = {};
    else if (name.starts_with("xmlns:") && prefix_length(name)) prefix = name.substr(6);
    else return false;
    // Prefixes beginning with xml are reserved (xml itself is bound without a declaration).
    if (prefix.size() >= 3 && (prefix[0] | 0x20) == 'x' && (prefix[1] | 0x20) == 'm' && (prefix[2] | 0x20) == 'l') return false;
    skip_space();
    if (at_end() || peek() != '=') return false;
    ++at_;
    skip_space();
    if (at_end() || (peek() != '"' && peek() != '\'')) return false;
    const char quote = peek();
    const auto close = body_.find(quote, at_ + 1);
    if (close == std::string_view::npos) return false;
    const auto uri = body_.substr(at_ + 1, close - at_ - 1);
    at_ = close + 1;
    if (uri.size() > kLongestNamespaceUri) return false;
    // No references, markup or whitespace in a URI (gSOAP would decode or normalize them).
    for (const char c : uri)
      if (static_cast<unsigned char>(c) <= 0x20 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'') return false;
    Uri kind = Uri::none;
    if (uri.empty()) {
      if (!prefix.empty()) return false;  // xmlns:p="" is not XML 1.0
    } else {
      const auto classified = classify(uri);
      if (!classified) return false;
      kind = *classified;
    }
    for (std::size_t i = binding_count_; i > 0 && bindings_[i - 1].depth == depth_; --i)
      if (bindings_[i - 1].prefix == prefix) return false;  // declared twice on one element
    if (binding_count_ == bindings_.size()) return false;
    bindings_[binding_count_++] = Binding{prefix, kind, depth_};
    declared_[static_cast<std::size_t>(kind)] = true;
    return true;
  }

  bool declared(Uri uri) const { return declared_[static_cast<std::size_t>(uri)]; }

  const Binding* binding_of(std::string_view prefix) const {
    for (std::size_t i = binding_count_; i > 0; --i)
      if (bindings_[i - 1].prefix == prefix) return &bindings_[i - 1];
    return nullptr;
  }

  void leave_element() {
    while (binding_count_ > 0 && bindings_[binding_count_ - 1].depth == depth_) --binding_count_;
    --depth_;
  }

  // </name> with optional whitespace before '>'.
  bool end_tag(std::string_view name) {
    if (!looking_at("</")) return false;
    at_ += 2;
    if (!looking_at(name)) return false;
    at_ += name.size();
    skip_space();
    if (at_end() || peek() != '>') return false;
    ++at_;
    leave_element();
    return true;
  }

  // The qualified name of the start tag at the cursor (after whitespace), or nothing.
  std::string_view next_start_name() {
    skip_space();
    if (at_end() || peek() != '<' || looking_at("</")) return {};
    const auto saved = at_;
    ++at_;
    const auto name = name_here();
    at_ = saved;
    return name;
  }

  // Children of SendMessage are unqualified: gSOAP matches an unprefixed name whatever the
  // default namespace (it is not in strict mode); a prefixed one would not match.
  bool open_unqualified(std::string_view name) {
    if (next_start_name() != name) return false;
    const auto tag = start_tag();
    return tag && !tag->empty;
  }

  bool close(std::string_view name) {
    skip_space();
    return end_tag(name);
  }

  // How text is taken: as an xsd:string, or (xsd:dateTime, which gSOAP reads with whitespace
  // rules of its own) only when it holds no whitespace and no reference.
  enum class TextRule { string, plain };

  // <name>text</name> or <name/> (empty text) when the next element is `name`; nothing when it
  // is not, or when the element is declined (then declined_ is set).
  std::optional<std::string> text_element(std::string_view name, TextRule rule = TextRule::string) {
    if (next_start_name() != name) return std::nullopt;
    const auto tag = start_tag();
    std::string value;
    if (tag && tag->empty) return value;
    if (!tag || !text(value, rule) || !end_tag(name)) {
      declined_ = true;
      return std::nullopt;
    }
    return value;
  }

  // Character data up to the next '<', decoded as gSOAP decodes an xsd:string in
  // SOAP_C_UTFSTRING mode (nothing trimmed); false for anything the reader does not take.
  bool text(std::string& out, TextRule rule) {
    const auto end = body_.find('<', at_);
    if (end == std::string_view::npos) return false;
    const auto raw = body_.substr(at_, end - at_);
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size();) {
      std::size_t run = i;
      while (run < raw.size() && kPlainTextBytes[static_cast<unsigned char>(raw[run])]) ++run;
      if (rule == TextRule::plain && run < raw.size()) return false;  // a reference, a control or non-ASCII byte
      if (rule == TextRule::plain) {
        for (std::size_t k = i; k < run; ++k)
          if (is_space(raw[k])) return false;
      }
      out.append(raw.substr(i, run - i));
      i = run;
      if (i == raw.size()) break;
      const auto c = static_cast<unsigned char>(raw[i]);
      if (c == '&') {
        const auto semicolon = raw.find(';', i + 1);
        if (semicolon == std::string_view::npos) return false;
        const auto name = raw.substr(i + 1, semicolon - i - 1);
        if (name == "lt") out += '<';
        else if (name == "gt") out += '>';
        else if (name == "amp") out += '&';
        else if (name == "quot") out += '"';
        else if (name == "apos") out += '\'';
        else {
          const auto code = character_reference(name);
          if (!code || !is_accepted_character(*code)) return false;
          append_utf8(out, *code);
        }
        i = semicolon + 1;
      } else if (c >= 0x80) {
        const auto length = utf8_sequence(raw.substr(i));
        if (length == 0) return false;
        out.append(raw.substr(i, length));
        i += length;
      } else {
        return false;  // C0 controls but tab, newline and carriage return; DEL
      }
    }
    at_ = end;
    return true;
  }

  bool request_info(SendMessageFields& fields) {
    if (!open_unqualified("requestInfo")) return false;
    auto message_id = text_element("messageId");
    if (!message_id) return false;
    fields.message_id = std::move(*message_id);
    fields.correlation_id = text_element("correlationId");
    auto service_id = text_element("serviceId");
    if (!service_id) return false;
    fields.service_id = std::move(*service_id);
    auto message_date = text_element("messageDate", TextRule::plain);
    if (!message_date) return false;
    fields.message_date = std::move(*message_date);
    if (!open_unqualified("sender")) return false;
    auto sender_id = text_element("senderId");
    if (!sender_id) return false;
    fields.sender_id = std::move(*sender_id);
    fields.password = text_element("password");
    if (!close("sender")) return false;
    fields.session_id = text_element("sessionId");
    return !declined_ && close("requestInfo");
  }

  // requestData/data, whose content is the locator's span: the reader goes round it.
  bool request_data() {
    if (!open_unqualified("requestData")) return false;
    if (!open_unqualified("data") || at_ != data_.begin || data_.end < data_.begin || data_.end > body_.size()) return false;
    at_ = data_.end;
    return end_tag("data") && close("requestData");
  }

  std::string_view body_;
  RequestDataSpan data_;
  std::size_t at_ = 0;
  unsigned depth_ = 0;
  std::array<Binding, kMostBindings> bindings_{};
  std::size_t binding_count_ = 0;
  std::array<bool, static_cast<std::size_t>(Uri::foreign) + 1> declared_{};
  bool declined_ = false;  // an optional element was there but not taken
};

}  // namespace

std::optional<PlainSendMessage> read_plain_send_message(std::string_view body, const RequestDataSpan& data) {
  return Reader(body, data).read();
}

}  // namespace stagegate::adapters
