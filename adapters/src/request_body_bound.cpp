#include "request_body_bound.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace stagegate::adapters {

void RequestBodyBound::install(soap* ctx) {
  original_parse_ = ctx->fparse;
  original_receive_ = ctx->frecv;
  ctx->fparse = parse_header;
  ctx->frecv = receive;
  original_final_receive_ = ctx->fpreparefinalrecv;
  ctx->fpreparefinalrecv = body_parsed;
  original_respond_ = ctx->fresponse;
  ctx->fresponse = respond;
  ctx->user = this;
  recv_timeout_ = ctx->recv_timeout;
  send_timeout_ = ctx->send_timeout;
}

RequestBodyBound* RequestBodyBound::of(soap* ctx) { return static_cast<RequestBodyBound*>(ctx->user); }

void RequestBodyBound::start_connection(soap* ctx) {
  limited_ = false;
  exhausted_ = false;
  status_override_ = 0;
  extra_header_ = nullptr;
  ctx->http_extra_header = nullptr;
  ctx->recv_timeout = recv_timeout_;
  ctx->send_timeout = send_timeout_;
}

void RequestBodyBound::respond_with(soap* ctx, int http_status, const char* extra_header) {
  status_override_ = http_status;
  extra_header_ = extra_header;
  ctx->http_extra_header = extra_header;
}

int RequestBodyBound::respond(soap* ctx, int status, ULONG64 count) {
  auto* self = of(ctx);
  return self->original_respond_(ctx, self->status_override_ ? self->status_override_ : status, count);
}

void RequestBodyBound::begin_in_memory(soap* ctx, std::string_view body, std::string& envelope) {
  in_memory_ = true;
  memory_body_ = body;
  memory_envelope_ = &envelope;
  original_send_ = ctx->fsend;
  ctx->fsend = send_to_memory;
  ctx->socket = SOAP_INVALID_SOCKET;
  ctx->is = nullptr;
  ctx->os = nullptr;
  ctx->imode |= SOAP_ENC_PLAIN;
  ctx->omode |= SOAP_ENC_PLAIN;
  ctx->keep_alive = 0;
}

void RequestBodyBound::end_in_memory(soap* ctx) {
  ctx->imode &= ~SOAP_ENC_PLAIN;
  ctx->omode &= ~SOAP_ENC_PLAIN;
  ctx->fsend = original_send_;
  in_memory_ = false;
  memory_body_ = {};
  memory_envelope_ = nullptr;
}

int RequestBodyBound::send_to_memory(soap* ctx, const char* bytes, size_t length) {
  of(ctx)->memory_envelope_->append(bytes, length);
  return SOAP_OK;
}

int RequestBodyBound::body_parsed(soap* ctx) {
  // What is read from here on is the next keep-alive request, which has its own header.
  auto* self = of(ctx);
  self->limited_ = false;
  return self->original_final_receive_ ? self->original_final_receive_(ctx) : SOAP_OK;
}

int RequestBodyBound::parse_header(soap* ctx) {
  auto* self = of(ctx);
  self->start_connection(ctx);
  const int status = self->original_parse_(ctx);
  if (status != SOAP_OK) return status;
  // Chunked bodies end with their last chunk; only a Content-Length body needs the bound.
  if (ctx->length > 0 && !(ctx->imode & SOAP_IO_CHUNK)) {
    const ULONG64 buffered = ctx->buflen > ctx->bufidx ? ctx->buflen - ctx->bufidx : 0;
    self->limited_ = true;
    self->remaining_ = ctx->length > buffered ? ctx->length - buffered : 0;
  }
  return SOAP_OK;
}

size_t RequestBodyBound::receive(soap* ctx, char* buffer, size_t length) {
  auto* self = of(ctx);
  if (self->in_memory_) {
    const size_t copied = std::min(length, self->memory_body_.size());
    if (copied == 0) self->exhausted_ = true;
    std::memcpy(buffer, self->memory_body_.data(), copied);
    self->memory_body_.remove_prefix(copied);
    return copied;
  }
  if (!self->limited_) return self->original_receive_(ctx, buffer, length);
  if (self->remaining_ == 0) {
    self->exhausted_ = true;
    // gSOAP stays silent on end-of-input while I/O timeouts are set; without them it
    // answers with a fault. A socket-level send timeout keeps a client that never reads
    // from holding the worker.
    ctx->recv_timeout = 0;
    ctx->send_timeout = 0;
    const timeval limit{std::max(1, std::abs(self->send_timeout_)), 0};
    setsockopt(ctx->socket, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    return 0;
  }
  const size_t received = self->original_receive_(ctx, buffer, static_cast<size_t>(std::min<ULONG64>(length, self->remaining_)));
  self->remaining_ -= received;
  return received;
}

}  // namespace stagegate::adapters
