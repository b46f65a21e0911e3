#pragma once
// The HTTP response to an accepted SendMessage as the generated service writes it, captured
// once with marker values and filled in for each message. Answering then needs no gSOAP
// context: the generated path costs two context resets (48 KB of hash tables each) and a
// serialization per message. Values that gSOAP would escape beyond &, < and > (control
// characters, DEL) are not rendered here: the caller takes the generated path for them.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace stagegate::adapters {

// What varies between two accepted messages' responses.
struct ResponseValues {
  std::string_view message_id;
  std::optional<std::string_view> correlation_id;
  std::optional<std::string_view> session_id;
  std::string_view response_date;
  std::string_view status_message;
  std::string_view data;  // responseData/data: XML, written as is (the receipt)
};

class ResponseTemplate {
 public:
  // The marker each value is rendered with when the template is captured.
  static ResponseValues markers(bool with_correlation_id, bool with_session_id);

  // The template of `response` (a whole HTTP response rendered from markers()), or nothing
  // when it is not one: not 200, no Content-Length, or a marker missing or repeated.
  static std::optional<ResponseTemplate> capture(std::string_view response, const ResponseValues& markers);

  // True when every value is written by gSOAP as it is, but for &, < and > in element text.
  static bool renders(const ResponseValues& values);

  // The whole HTTP response for `values` (renders(values) must hold).
  std::string render(const ResponseValues& values) const;

 private:
  enum class Slot { MessageId, CorrelationId, SessionId, ResponseDate, StatusMessage, Data };
  struct Piece {
    std::string text;  // written before the slot
    Slot slot;
  };
  std::string head_before_length_;
  std::string head_after_length_;
  std::vector<Piece> body_;
  std::string body_tail_;
};

}  // namespace stagegate::adapters
