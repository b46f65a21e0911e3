#include "http_request_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

namespace stagegate::adapters {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y)); });
}

bool icontains(std::string_view haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         }) != haystack.end();
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

template <typename Number>
std::optional<Number> parse_number(std::string_view text, int base) {
  Number value{};
  if (text.empty()) return std::nullopt;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The end of the head ("\r\n\r\n", or "\n\n" from lenient clients) and where the body starts.
std::optional<std::pair<std::size_t, std::size_t>> find_head_end(std::string_view buffer) {
  const auto crlf = buffer.find("\r\n\r\n");
  const auto lf = buffer.find("\n\n");
  if (crlf == std::string_view::npos && lf == std::string_view::npos) return std::nullopt;
  if (lf < crlf) return std::pair{lf, lf + 2};
  return std::pair{crlf, crlf + 4};
}

}  // namespace

ReadState HttpRequestReader::fail(ReadState state, std::string reason) {
  reason_ = std::move(reason);
  return state_ = state;
}

ReadState HttpRequestReader::feed(std::string_view bytes) {
  if (state_ != ReadState::need_more) return state_;
  buffer_.append(bytes);
  return advance();
}

ReadState HttpRequestReader::next_request() {
  buffer_.erase(0, request_end_);
  state_ = ReadState::need_more;
  reason_.clear();
  method_.clear();
  target_.clear();
  keep_alive_ = head_done_ = chunked_ = false;
  body_start_ = content_length_ = chunk_cursor_ = chunked_body_bytes_ = request_end_ = 0;
  return buffer_.empty() ? state_ : advance();
}

ReadState HttpRequestReader::advance() {
  if (!head_done_) {
    // Blank lines before a request are allowed (RFC 9112 section 2.2).
    const auto first = buffer_.find_first_not_of("\r\n");
    if (first == std::string::npos) {
      buffer_.clear();
      return state_;
    }
    if (first > 0) buffer_.erase(0, first);
    const auto head = find_head_end(buffer_);
    if (!head) {
      if (buffer_.size() > limits_.max_head_bytes) return fail(ReadState::too_large, "the request head exceeds the size limit");
      return state_;
    }
    if (head->first > limits_.max_head_bytes) return fail(ReadState::too_large, "the request head exceeds the size limit");
    if (const auto state = parse_head(head->first, head->second); state != ReadState::need_more) return state;
  }
  if (chunked_) return advance_chunks();
  if (buffer_.size() - body_start_ >= content_length_) {
    request_end_ = body_start_ + content_length_;
    return state_ = ReadState::complete;
  }
  return state_;
}

ReadState HttpRequestReader::parse_head(std::size_t head_end, std::size_t body_start) {
  head_done_ = true;
  body_start_ = body_start;
  std::string_view head = std::string_view(buffer_).substr(0, head_end);
  const auto line_end = head.find('\n');
  const std::string_view request_line = trim(head.substr(0, line_end));
  const auto space1 = request_line.find(' ');
  const auto space2 = request_line.rfind(' ');
  if (space1 == std::string_view::npos || space2 == space1) return fail(ReadState::malformed, "bad request line");
  method_ = request_line.substr(0, space1);
  target_ = request_line.substr(space1 + 1, space2 - space1 - 1);
  const std::string_view version = request_line.substr(space2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return fail(ReadState::malformed, "unsupported HTTP version");
  keep_alive_ = version == "HTTP/1.1";

  std::optional<std::size_t> length;
  bool chunked = false;
  for (std::size_t at = line_end == std::string_view::npos ? head.size() : line_end + 1; at < head.size();) {
    auto end = head.find('\n', at);
    if (end == std::string_view::npos) end = head.size();
    const std::string_view line = head.substr(at, end - at);
    at = end + 1;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return fail(ReadState::malformed, "bad header line");
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      const auto parsed = parse_number<std::size_t>(value, 10);
      if (!parsed || (length && *length != *parsed)) return fail(ReadState::malformed, "bad Content-Length");
      length = parsed;
    } else if (iequals(name, "Transfer-Encoding")) {
      if (!iequals(value, "chunked")) return fail(ReadState::malformed, "unsupported Transfer-Encoding");
      chunked = true;
    } else if (iequals(name, "Connection")) {
      if (icontains(value, "close")) keep_alive_ = false;
      if (icontains(value, "keep-alive")) keep_alive_ = true;
    }
  }
  // Both framings at once is how requests are smuggled past proxies: refuse.
  if (chunked && length) return fail(ReadState::malformed, "both Content-Length and chunked");
  if (length && *length > limits_.max_body_bytes) return fail(ReadState::too_large, "the request body exceeds the size limit");
  chunked_ = chunked;
  content_length_ = length.value_or(0);
  chunk_cursor_ = body_start_;
  return ReadState::need_more;
}

ReadState HttpRequestReader::advance_chunks() {
  // Tiny chunks cost framing bytes: bound what the framing may add to the body.
  if (buffer_.size() > limits_.max_head_bytes + 2 * limits_.max_body_bytes)
    return fail(ReadState::too_large, "the request body exceeds the size limit");
  for (;;) {
    const auto line_end = buffer_.find('\n', chunk_cursor_);
    if (line_end == std::string::npos) {
      if (buffer_.size() - chunk_cursor_ > 1024) return fail(ReadState::malformed, "bad chunk size line");
      return state_;
    }
    std::string_view size_line = trim(std::string_view(buffer_).substr(chunk_cursor_, line_end - chunk_cursor_));
    size_line = size_line.substr(0, size_line.find(';'));  // chunk extensions are ignored
    const auto size = parse_number<std::size_t>(trim(size_line), 16);
    if (!size) return fail(ReadState::malformed, "bad chunk size");
    if (*size > limits_.max_body_bytes - chunked_body_bytes_) return fail(ReadState::too_large, "the request body exceeds the size limit");
    if (*size == 0) {
      // Trailers end with an empty line.
      for (auto at = line_end + 1;;) {
        const auto end = buffer_.find('\n', at);
        if (end == std::string::npos) {
          if (buffer_.size() - at > limits_.max_head_bytes) return fail(ReadState::too_large, "the chunked trailer exceeds the size limit");
          return state_;
        }
        if (trim(std::string_view(buffer_).substr(at, end - at)).empty()) {
          request_end_ = end + 1;
          return state_ = ReadState::complete;
        }
        at = end + 1;
      }
    }
    const auto data_end = line_end + 1 + *size;
    if (buffer_.size() < data_end + 2) return state_;
    if (buffer_.compare(data_end, 2, "\r\n") != 0) return fail(ReadState::malformed, "chunk not followed by CRLF");
    chunked_body_bytes_ += *size;
    chunk_cursor_ = data_end + 2;
  }
}

std::optional<FramedRequest> split_framed(std::string_view request) {
  const auto head_end = find_head_end(request);
  if (!head_end) return std::nullopt;
  return FramedRequest{request.substr(0, head_end->first), request.substr(head_end->second)};
}

std::optional<std::string_view> header_value(std::string_view head, std::string_view name) {
  // Lines as the reader frames them: after the request line, "\n" or "\r\n" apart.
  for (auto at = head.find('\n'); at != std::string_view::npos;) {
    auto end = head.find('\n', at + 1);
    const auto line = head.substr(at + 1, end == std::string_view::npos ? std::string_view::npos : end - at - 1);
    const auto colon = line.find(':');
    if (colon != std::string_view::npos && iequals(line.substr(0, colon), name)) return trim(line.substr(colon + 1));
    at = end;
  }
  return std::nullopt;
}

std::optional<std::string> dechunked_body(std::string_view chunked) {
  std::string body;
  body.reserve(chunked.size());
  for (std::size_t at = 0;;) {
    const auto line_end = chunked.find('\n', at);
    if (line_end == std::string_view::npos) return std::nullopt;
    auto size_line = trim(chunked.substr(at, line_end - at));
    size_line = size_line.substr(0, size_line.find(';'));
    const auto size = parse_number<std::size_t>(trim(size_line), 16);
    if (!size) return std::nullopt;
    if (*size == 0) return body;  // the trailers, framed by the reader, carry nothing we use
    const auto data = line_end + 1;
    if (data + *size + 2 > chunked.size() || chunked.compare(data + *size, 2, "\r\n") != 0) return std::nullopt;
    body.append(chunked.substr(data, *size));
    at = data + *size + 2;
  }
}

}  // namespace stagegate::adapters
