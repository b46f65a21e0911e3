#pragma once
// Incremental HTTP/1.x request framing for the connection reactor: bytes arrive in any
// pieces, and the reader says when one whole request (head and body, Content-Length or
// chunked) is buffered, or why it never will be. It never interprets the body: gSOAP
// parses the complete request afterwards, from memory.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace stagegate::adapters {

struct HttpRequestLimits {
  std::size_t max_head_bytes = 64 * 1024;
  std::size_t max_body_bytes = 2 * 1024 * 1024;
};

enum class ReadState {
  need_more,  // keep reading
  complete,   // request() holds one whole request
  too_large,  // head or body over the limits: answer 413
  malformed,  // not HTTP/1.x framing we accept: close
};

class HttpRequestReader {
 public:
  explicit HttpRequestReader(HttpRequestLimits limits) : limits_(limits) {}

  // Appends bytes and advances the framing.
  ReadState feed(std::string_view bytes);
  ReadState state() const { return state_; }

  // With complete(): the request's bytes, head and body, exactly as received.
  std::string_view request() const { return std::string_view(buffer_).substr(0, request_end_); }
  std::string_view method() const { return method_; }
  std::string_view target() const { return target_; }
  // HTTP/1.1 without "Connection: close", or HTTP/1.0 with "Connection: keep-alive".
  bool keep_alive() const { return keep_alive_; }
  // Why too_large or malformed, for the refusal and the log.
  const std::string& reason() const { return reason_; }
  // Whether any byte of a request has arrived (an idle keep-alive connection has none).
  bool started() const { return !buffer_.empty(); }

  // Whether bytes past the current request arrived with it (a pipelined request).
  bool holds_more() const { return buffer_.size() > request_end_; }

  // After a complete request was served: forget it, keep any pipelined bytes after it.
  ReadState next_request();

 private:
  ReadState advance();
  ReadState parse_head(std::size_t head_end, std::size_t body_start);
  ReadState advance_chunks();
  ReadState fail(ReadState state, std::string reason);

  HttpRequestLimits limits_;
  std::string buffer_;
  ReadState state_ = ReadState::need_more;
  std::string reason_;
  std::string method_;
  std::string target_;
  bool keep_alive_ = false;
  bool head_done_ = false;
  bool chunked_ = false;
  std::size_t body_start_ = 0;
  std::size_t content_length_ = 0;
  std::size_t chunk_cursor_ = 0;     // where the next chunk-size line starts
  std::size_t chunked_body_bytes_ = 0;
  std::size_t request_end_ = 0;
};

// A request the reader framed, cut where its head ends ("\r\n\r\n", or "\n\n" from lenient
// clients); nothing when there is no head.
struct FramedRequest {
  std::string_view head;  // the request line and the header lines
  std::string_view body;
};
std::optional<FramedRequest> split_framed(std::string_view request);

// The trimmed value of the first header called `name` (in any case) in such a head.
std::optional<std::string_view> header_value(std::string_view head, std::string_view name);

// The body of a chunked request the reader framed, its chunks joined; nothing if the bytes
// are not such a body.
std::optional<std::string> dechunked_body(std::string_view chunked);

}  // namespace stagegate::adapters
