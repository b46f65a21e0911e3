#pragma once
// gSOAP hands requestData/data (xsd:anyType, kept as literal XML) over character by
// character: for a 4 KB envelope that copy was the largest part of gSOAP's cost. The
// locator finds that element's content in the body with a small tokenizer, so gSOAP parses
// the envelope with the element emptied and the document is taken from the body as sent.
// Anything the tokenizer is not sure of (a DOCTYPE, no such element, two of them, CDATA,
// an unbalanced tag) yields nothing, and gSOAP reads the body as before.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace stagegate::adapters {

struct RequestDataSpan {
  std::size_t begin = 0;  // the first byte after <data ...>
  std::size_t end = 0;    // the '<' of </data>
};

// The content of Envelope/Body/SendMessage/request/requestData/data (by local names).
std::optional<RequestDataSpan> locate_request_data(std::string_view body);

// The body with that content removed: what gSOAP parses.
std::string without_request_data(std::string_view body, const RequestDataSpan& span);

}  // namespace stagegate::adapters
