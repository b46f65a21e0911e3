#pragma once
// gSOAP reads a request until its XML parser is satisfied, not until Content-Length: an
// envelope with unbalanced tags would make a worker wait for bytes that never come until
// the I/O timeout. This bound makes the declared body the end of the input, and turns
// "the parser wanted more" into a prompt MALFORMED fault instead of a silent close.
#include <cstddef>
#include <string>
#include <string_view>

#include "stdsoap2.h"

namespace stagegate::adapters {

class RequestBodyBound {
 public:
  // Installs the hooks on a configured ctx (its I/O timeouts are kept for each request);
  // ctx->user points at this object afterwards.
  void install(soap* ctx);

  // Forgets the previous connection's request (a service serves many connections).
  void start_connection(soap* ctx);

  // True when the parser asked for bytes past the declared body of the current request.
  bool exhausted() const { return exhausted_; }

  static RequestBodyBound* of(soap* ctx);

  // A request the connection reactor framed (Content-Length, no transfer or content
  // encoding): gSOAP reads the body straight from memory and writes the envelope to
  // `envelope`, with no HTTP on either side (the worker writes the response's head). Its end
  // is the end of the input, as with the bound above.
  void begin_in_memory(soap* ctx, std::string_view body, std::string& envelope);
  void end_in_memory(soap* ctx);
  int status_override() const { return status_override_; }
  const char* extra_header() const { return extra_header_; }

  // Answers the current request with this HTTP status (e.g. 503 for OVERLOADED) and one
  // extra header line, instead of gSOAP's 500 for every fault.
  void respond_with(soap* ctx, int http_status, const char* extra_header);

 private:
  static int parse_header(soap* ctx);
  static size_t receive(soap* ctx, char* buffer, size_t length);
  static int body_parsed(soap* ctx);
  static int respond(soap* ctx, int status, ULONG64 count);
  static int send_to_memory(soap* ctx, const char* bytes, size_t length);

  int (*original_parse_)(soap*) = nullptr;
  size_t (*original_receive_)(soap*, char*, size_t) = nullptr;
  int (*original_final_receive_)(soap*) = nullptr;
  int (*original_respond_)(soap*, int, ULONG64) = nullptr;
  int (*original_send_)(soap*, const char*, size_t) = nullptr;
  int status_override_ = 0;
  const char* extra_header_ = nullptr;
  bool in_memory_ = false;
  std::string_view memory_body_;
  std::string* memory_envelope_ = nullptr;
  bool limited_ = false;
  bool exhausted_ = false;
  ULONG64 remaining_ = 0;
  int recv_timeout_ = 0;
  int send_timeout_ = 0;
};

}  // namespace stagegate::adapters
