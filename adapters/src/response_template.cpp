#include "response_template.h"

#include <algorithm>
#include <charconv>

namespace stagegate::adapters {
namespace {

constexpr std::string_view kMessageIdMarker = "@stagegate-message-id@";
constexpr std::string_view kCorrelationIdMarker = "@stagegate-correlation-id@";
constexpr std::string_view kSessionIdMarker = "@stagegate-session-id@";
constexpr std::string_view kResponseDateMarker = "@stagegate-response-date@";
constexpr std::string_view kStatusMessageMarker = "@stagegate-status-message@";
constexpr std::string_view kDataMarker = "@stagegate-data@";
constexpr std::string_view kContentLength = "\r\nContent-Length: ";

bool written_as_is(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7F;
  });
}

// Element text as gSOAP escapes it: & < > only. Not core's markup_escaped, which also escapes
// quotes: the response must be the generated service's byte for byte.
void append_escaped(std::string& out, std::string_view text) {
  std::size_t from = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char* entity = nullptr;
    switch (text[i]) {
      case '&': entity = "&amp;"; break;
      case '<': entity = "&lt;"; break;
      case '>': entity = "&gt;"; break;
      default: continue;
    }
    out.append(text, from, i - from).append(entity);
    from = i + 1;
  }
  out.append(text, from);
}

// Position of the only occurrence of `marker` in `text`; nothing when absent or repeated.
std::optional<std::size_t> only(std::string_view text, std::string_view marker) {
  const auto at = text.find(marker);
  if (at == std::string_view::npos || text.find(marker, at + 1) != std::string_view::npos) return std::nullopt;
  return at;
}

}  // namespace

ResponseValues ResponseTemplate::markers(bool with_correlation_id, bool with_session_id) {
  ResponseValues values;
  values.message_id = kMessageIdMarker;
  if (with_correlation_id) values.correlation_id = kCorrelationIdMarker;
  if (with_session_id) values.session_id = kSessionIdMarker;
  values.response_date = kResponseDateMarker;
  values.status_message = kStatusMessageMarker;
  values.data = kDataMarker;
  return values;
}

std::optional<ResponseTemplate> ResponseTemplate::capture(std::string_view response, const ResponseValues& markers) {
  const auto head_end = response.find("\r\n\r\n");
  if (head_end == std::string_view::npos || !response.starts_with("HTTP/1.1 200 ")) return std::nullopt;
  const auto head = response.substr(0, head_end + 4);
  const auto body = response.substr(head_end + 4);

  ResponseTemplate captured;
  const auto length_at = only(head, kContentLength);
  if (!length_at) return std::nullopt;
  const auto digits_at = *length_at + kContentLength.size();
  const auto digits_end = head.find("\r\n", digits_at);
  std::size_t declared = 0;
  const auto [end, error] = std::from_chars(head.data() + digits_at, head.data() + digits_end, declared);
  if (error != std::errc{} || end != head.data() + digits_end || declared != body.size()) return std::nullopt;
  captured.head_before_length_ = std::string(head.substr(0, digits_at));
  captured.head_after_length_ = std::string(head.substr(digits_end));

  struct Found {
    std::size_t at;
    std::size_t length;
    Slot slot;
  };
  std::vector<Found> found;
  const auto find = [&](std::optional<std::string_view> marker, Slot slot) {
    if (!marker) return true;
    const auto at = only(body, *marker);
    if (at) found.push_back({*at, marker->size(), slot});
    return at.has_value();
  };
  if (!find(markers.message_id, Slot::MessageId) || !find(markers.correlation_id, Slot::CorrelationId) ||
      !find(markers.session_id, Slot::SessionId) || !find(markers.response_date, Slot::ResponseDate) ||
      !find(markers.status_message, Slot::StatusMessage) || !find(markers.data, Slot::Data))
    return std::nullopt;
  std::sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.at < b.at; });
  std::size_t from = 0;
  for (const auto& slot : found) {
    captured.body_.push_back({std::string(body.substr(from, slot.at - from)), slot.slot});
    from = slot.at + slot.length;
  }
  captured.body_tail_ = std::string(body.substr(from));
  return captured;
}

bool ResponseTemplate::renders(const ResponseValues& values) {
  return written_as_is(values.message_id) && written_as_is(values.correlation_id.value_or("")) &&
         written_as_is(values.session_id.value_or("")) && written_as_is(values.response_date) &&
         written_as_is(values.status_message) && written_as_is(values.data);
}

std::string ResponseTemplate::render(const ResponseValues& values) const {
  std::string body;
  body.reserve(1024);
  for (const auto& piece : body_) {
    body.append(piece.text);
    switch (piece.slot) {
      case Slot::MessageId: append_escaped(body, values.message_id); break;
      case Slot::CorrelationId: append_escaped(body, values.correlation_id.value_or("")); break;
      case Slot::SessionId: append_escaped(body, values.session_id.value_or("")); break;
      case Slot::ResponseDate: append_escaped(body, values.response_date); break;
      case Slot::StatusMessage: append_escaped(body, values.status_message); break;
      case Slot::Data: body.append(values.data); break;
    }
  }
  body.append(body_tail_);
  std::string response;
  response.reserve(head_before_length_.size() + head_after_length_.size() + 8 + body.size());
  response.append(head_before_length_).append(std::to_string(body.size())).append(head_after_length_).append(body);
  return response;
}

}  // namespace stagegate::adapters
