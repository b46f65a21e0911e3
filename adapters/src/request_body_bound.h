#pragma once
// gSOAP reads a request until its XML parser is satisfied, not until Content-Length: an
// envelope with unbalanced tags would make a worker wait for bytes that never come until
// the I/O timeout. This bound makes the declared body the end of the input, and turns
// "the parser wanted more" into a prompt MALFORMED fault instead of a silent close.
#include <cstddef>

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

  // Answers the current request with this HTTP status (e.g. 503 for OVERLOADED) and one
  // extra header line, instead of gSOAP's 500 for every fault.
  void respond_with(soap* ctx, int http_status, const char* extra_header);

 private:
  static int parse_header(soap* ctx);
  static size_t receive(soap* ctx, char* buffer, size_t length);
  static int body_parsed(soap* ctx);
  static int respond(soap* ctx, int status, ULONG64 count);

  int (*original_parse_)(soap*) = nullptr;
  size_t (*original_receive_)(soap*, char*, size_t) = nullptr;
  int (*original_final_receive_)(soap*) = nullptr;
  int (*original_respond_)(soap*, int, ULONG64) = nullptr;
  int status_override_ = 0;
  bool limited_ = false;
  bool exhausted_ = false;
  ULONG64 remaining_ = 0;
  int recv_timeout_ = 0;
  int send_timeout_ = 0;
};

}  // namespace stagegate::adapters
