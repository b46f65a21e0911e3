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

 private:
  static int parse_header(soap* ctx);
  static size_t receive(soap* ctx, char* buffer, size_t length);
  static int body_parsed(soap* ctx);

  int (*original_parse_)(soap*) = nullptr;
  size_t (*original_receive_)(soap*, char*, size_t) = nullptr;
  int (*original_final_receive_)(soap*) = nullptr;
  bool limited_ = false;
  bool exhausted_ = false;
  ULONG64 remaining_ = 0;
  int recv_timeout_ = 0;
  int send_timeout_ = 0;
};

}  // namespace stagegate::adapters
