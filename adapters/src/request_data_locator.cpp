#include "request_data_locator.h"

#include <array>
#include <string_view>
#include <vector>

namespace stagegate::adapters {
namespace {

constexpr std::array<std::string_view, 5> kPathToData{"Envelope", "Body", "SendMessage", "request", "requestData"};

std::string_view local_name(std::string_view qualified) {
  const auto colon = qualified.find(':');
  return colon == std::string_view::npos ? qualified : qualified.substr(colon + 1);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// By byte, as tables: the tokenizer walks every name and attribute of the business document
// (a signed document is most of the body), so these tests are most of its cost.
constexpr std::array<bool, 256> byte_table(std::string_view bytes) {
  std::array<bool, 256> table{};
  for (const char c : bytes) table[static_cast<unsigned char>(c)] = true;
  return table;
}
// What ends a name ('<' too: the tag is then malformed).
constexpr auto kEndsName = byte_table(" \t\r\n>/<");
// What the attribute part of a start tag stops at: a quoted value, or its end (or '<').
constexpr auto kStopsAttributes = byte_table("\"'<>");

bool ends_name(char c) { return kEndsName[static_cast<unsigned char>(c)]; }

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view body) : body_(body) { open_.reserve(32); }

  std::optional<RequestDataSpan> run() {
    while (true) {
      const auto open = body_.find('<', at_);
      if (open == std::string_view::npos) break;
      at_ = open;
      if (!markup()) return std::nullopt;
    }
    if (!open_.empty() || found_ != 1 || capturing_) return std::nullopt;
    return span_;
  }

 private:
  bool skip_past(std::string_view terminator) {
    const auto end = body_.find(terminator, at_);
    if (end == std::string_view::npos) return false;
    at_ = end + terminator.size();
    return true;
  }

  bool markup() {
    const auto rest = body_.substr(at_);
    // Most markup is a tag: decide by the second byte before comparing longer prefixes.
    const char second = rest.size() > 1 ? rest[1] : '\0';
    if (second != '!' && second != '?' && second != '/') return start_tag();
    if (rest.starts_with("<!--")) {
      at_ += 4;
      return skip_past("-->");
    }
    // Character data sections and processing instructions inside the document are left to
    // gSOAP; before the envelope only the XML declaration is expected.
    if (rest.starts_with("<?")) return !capturing_ && open_.empty() && skip_past("?>");
    if (rest.starts_with("<!")) return false;  // DOCTYPE, CDATA
    if (rest.starts_with("</")) return end_tag();
    return start_tag();
  }

  std::string_view name_at(std::size_t from) {
    std::size_t end = from;
    while (end < body_.size() && !ends_name(body_[end])) ++end;
    return body_.substr(from, end - from);
  }

  bool start_tag() {
    const auto tag_start = at_;
    const auto name = name_at(at_ + 1);
    if (name.empty()) return false;
    at_ += 1 + name.size();
    // Attributes: quoted values may hold '>' and '/'.
    bool empty_element = false;
    while (true) {
      while (at_ < body_.size() && !kStopsAttributes[static_cast<unsigned char>(body_[at_])]) ++at_;
      if (at_ >= body_.size()) return false;
      const char c = body_[at_];
      if (c == '"' || c == '\'') {
        const auto close = body_.find(c, at_ + 1);
        if (close == std::string_view::npos) return false;
        at_ = close + 1;
        continue;
      }
      if (c == '<') return false;
      if (c == '>') {
        empty_element = at_ > tag_start && body_[at_ - 1] == '/';
        ++at_;
        break;
      }
    }
    const auto local = local_name(name);
    if (!capturing_ && local == "data" && on_path_to_data()) {
      if (empty_element) return false;
      ++found_;
      capturing_ = true;
      span_.begin = at_;
      capture_depth_ = open_.size();
    }
    if (!empty_element) open_.push_back(name);
    return true;
  }

  bool end_tag() {
    const auto tag_start = at_;
    const auto name = name_at(at_ + 2);
    if (name.empty() || open_.empty() || open_.back() != name) return false;
    at_ += 2 + name.size();
    while (at_ < body_.size() && is_space(body_[at_])) ++at_;
    if (at_ >= body_.size() || body_[at_] != '>') return false;
    ++at_;
    open_.pop_back();
    if (capturing_ && open_.size() == capture_depth_) {
      capturing_ = false;
      span_.end = tag_start;
    }
    return true;
  }

  bool on_path_to_data() const {
    if (open_.size() != kPathToData.size()) return false;
    for (std::size_t i = 0; i < kPathToData.size(); ++i)
      if (local_name(open_[i]) != kPathToData[i]) return false;
    return true;
  }

  std::string_view body_;
  std::size_t at_ = 0;
  std::vector<std::string_view> open_;
  bool capturing_ = false;
  std::size_t capture_depth_ = 0;
  int found_ = 0;
  RequestDataSpan span_;
};

}  // namespace

std::optional<RequestDataSpan> locate_request_data(std::string_view body) { return Tokenizer(body).run(); }

std::string without_request_data(std::string_view body, const RequestDataSpan& span) {
  std::string envelope;
  envelope.reserve(body.size() - (span.end - span.begin));
  envelope.append(body.substr(0, span.begin)).append(body.substr(span.end));
  return envelope;
}

}  // namespace stagegate::adapters
