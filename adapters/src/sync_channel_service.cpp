#include "sync_channel_service.h"

#include <sys/socket.h>

#include <cstring>
#include <sstream>
#include <string_view>

#include "business_document.h"
#include "contract_fault.h"
#include "http_request_reader.h"
#include "receipt_xml.h"
#include "request_data_locator.h"
#include "stagegate/core/clock.h"

namespace stagegate::adapters {
namespace {

// ?wsdl is answered by the server before gSOAP (soap_server.cpp), with the address the request
// came to; any other GET that reaches gSOAP is not ours.
int serve_http_get(soap*) { return 404; }

std::optional<std::string> copy_of(const std::string* value) {
  return value ? std::optional<std::string>(*value) : std::nullopt;
}

// The envelope levels gSOAP counts for the plain shape (Envelope to sender/senderId) are 7;
// below this limit the reader leaves the depth check to gSOAP.
constexpr int kLeastDepthForPlainReader = 16;

// The reader's assumption: the context's namespace table is the generated one it was written for.
bool namespace_table_is_assumed(const Namespace* table) {
  if (!table) return false;
  for (const auto& assumed : kAssumedNamespaceTable) {
    const auto& entry = *table++;
    if (!entry.id || entry.id != assumed.id || !entry.ns || entry.ns != assumed.ns) return false;
    if ((entry.in ? std::string_view(entry.in) : std::string_view()) != assumed.in) return false;
  }
  return table->id == nullptr;
}

struct AcceptedRequest {
  InboundMessage message;
  SyncChannelService::ReplyTo reply_to;
};

// SendMessage()'s checks and mapping, however the envelope was read: the message and what its
// response repeats, or the refusal SendMessage() answers with.
Result<AcceptedRequest> accept_send_message(SendMessageFields fields, std::string_view data,
                                            const std::optional<ClientCertificate>& client_certificate, short soap_version,
                                            std::string namespace_uris) {
  if (fields.message_id.empty()) return refuse(Code::Malformed, "requestInfo/messageId: required");
  if (fields.service_id.empty()) return refuse(Code::Malformed, "requestInfo/serviceId: required");
  auto document = extract_business_document(data);
  if (!document) return document.refusal();

  AcceptedRequest accepted;
  auto& message = accepted.message;
  message.message_id = fields.message_id;
  message.correlation_id = fields.correlation_id.value_or(std::string());
  message.service_id = std::move(fields.service_id);
  message.message_date = std::move(fields.message_date);
  message.sender_id = std::move(fields.sender_id);
  message.password = std::move(fields.password).value_or(std::string());
  message.client_certificate = client_certificate;
  message.document = std::move(document).value();
  accepted.reply_to = SyncChannelService::ReplyTo{std::move(fields.message_id), std::move(fields.correlation_id),
                                                  std::move(fields.session_id), soap_version, std::move(namespace_uris)};
  return accepted;
}

// The body of a framed POST as the envelope itself: as sent with Content-Length, or its
// chunks joined into `joined` (the reader accepts no other transfer coding). Nothing for a
// compressed body: gSOAP's HTTP layer reads that.
std::optional<std::string_view> plain_body(std::string_view request, std::string& joined) {
  const auto framed = split_framed(request);
  if (!framed || !request.starts_with("POST ") || header_value(framed->head, "Content-Encoding")) return std::nullopt;
  if (!header_value(framed->head, "Transfer-Encoding")) return framed->body;
  auto dechunked = dechunked_body(framed->body);
  if (!dechunked) return std::nullopt;
  joined = std::move(*dechunked);
  return std::string_view(joined);
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 413: return "Payload Too Large";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
  }
}

// The head gSOAP would have written, around the envelope it wrote to memory.
std::string http_response(int status, const char* extra_header, bool soap12, std::string_view envelope) {
  std::string response;
  response.reserve(envelope.size() + 256);
  response.append("HTTP/1.1 ").append(std::to_string(status)).append(" ").append(reason_phrase(status));
  response.append("\r\nServer: gSOAP/2.8\r\nX-Frame-Options: SAMEORIGIN\r\nContent-Type: ");
  response.append(soap12 ? "application/soap+xml; charset=utf-8" : "text/xml; charset=utf-8");
  response.append("\r\nContent-Length: ").append(std::to_string(envelope.size()));
  response.append("\r\nConnection: close\r\n");
  if (extra_header) response.append(extra_header).append("\r\n");
  response.append("\r\n").append(envelope);
  return response;
}

// The second half of the generated serve___sci__SendMessage: the response, counted and sent.
int send_response(soap* ctx, sc__SendMessageResponse& response) {
  ctx->encodingStyle = nullptr;  // SOAP literal style
  soap_serializeheader(ctx);
  response.soap_serialize(ctx);
  if (soap_begin_count(ctx)) return ctx->error;
  if ((ctx->mode & SOAP_IO_LENGTH) &&
      (soap_envelope_begin_out(ctx) || soap_putheader(ctx) || soap_body_begin_out(ctx) ||
       response.soap_put(ctx, "sc:SendMessageResponse", "") || soap_body_end_out(ctx) || soap_envelope_end_out(ctx)))
    return ctx->error;
  if (soap_end_count(ctx) || soap_response(ctx, SOAP_OK) || soap_envelope_begin_out(ctx) || soap_putheader(ctx) ||
      soap_body_begin_out(ctx) || response.soap_put(ctx, "sc:SendMessageResponse", "") || soap_body_end_out(ctx) ||
      soap_envelope_end_out(ctx) || soap_end_send(ctx))
    return ctx->error;
  return SOAP_OK;
}

std::string namespace_uris_read(const soap* ctx) {
  std::string uris;
  if (!ctx->local_namespaces) return uris;
  for (const auto* entry = ctx->local_namespaces; entry->id; ++entry) {
    if (entry->out) uris += entry->out;
    uris += '\0';  // gSOAP's strings end at NUL: nothing in a URI can look like this
  }
  return uris;
}

// gSOAP frees the table's `out` strings itself (with free), so they are handed over as strdup.
void restore_namespace_uris(soap* ctx, std::string_view uris) {
  soap_set_local_namespaces(ctx);
  if (!ctx->local_namespaces) return;
  for (auto* entry = ctx->local_namespaces; entry->id && !uris.empty(); ++entry) {
    const auto end = uris.find('\0');
    const auto uri = uris.substr(0, end);
    uris.remove_prefix(end == std::string_view::npos ? uris.size() : end + 1);
    if (uri.empty() || entry->out) continue;
    entry->out = strndup(uri.data(), uri.size());
  }
}

// The values of an accepted message's response; `date` and `data` keep the text they point into.
ResponseValues response_values(const SyncChannelService::ReplyTo& reply_to, const Receipt& receipt, std::string& date,
                               std::string& data) {
  date = now_utc();
  data = receipt_to_xml(receipt);
  ResponseValues values;
  values.message_id = reply_to.message_id;
  values.correlation_id = reply_to.correlation_id;
  values.session_id = reply_to.session_id;
  values.response_date = date;
  values.status_message = receipt.duplicate ? "Duplicate of an accepted message; first receipt returned" : "Accepted and journaled";
  values.data = data;
  return values;
}

}  // namespace

void configure_server_context(soap* ctx, const ServerConfig& config) {
  // UTF-8 passes through untouched: names and places are Kazakh and Russian text.
  soap_set_mode(ctx, SOAP_C_UTFSTRING);
  ctx->recv_maxlength = config.max_request_bytes;
  ctx->maxlevel = static_cast<unsigned int>(config.max_xml_depth);
  ctx->recv_timeout = config.io_timeout_seconds;
  ctx->send_timeout = config.io_timeout_seconds;
  ctx->max_keep_alive = 100;
  // Never a SIGPIPE from a peer that hung up (gSOAP sends on sockets for clients).
  ctx->socket_flags = MSG_NOSIGNAL;
  ctx->fget = serve_http_get;
  install_contract_fault_hook(ctx);
}

SyncChannelService::SyncChannelService(MessageHandler& handler, const ServerConfig& config)
    : handler_(handler), config_(config) {
  configure_server_context(soap, config_);
  body_bound_.install(soap);
  plain_reader_applies_ = namespace_table_is_assumed(soap->namespaces) && config_.max_xml_depth >= kLeastDepthForPlainReader;
}

ISyncChannelHttpBindingService* SyncChannelService::copy() {
  // Workers each own a service built from the config; gSOAP's copy() path is not used.
  return nullptr;
}

std::string SyncChannelService::serve_bytes(std::string_view request, const std::optional<ClientCertificate>& client_certificate) {
  auto served = receive(request, client_certificate);
  if (!served.message) return std::move(served.response);
  return complete(served.reply_to, handler_.handle(*served.message));
}

SyncChannelService::Served SyncChannelService::receive(std::string_view request, const std::optional<ClientCertificate>& client_certificate) {
  std::string joined;
  const auto body = plain_body(request, joined);
  if (!body) return Served{serve_http(request, client_certificate), std::nullopt, {}};
  const auto span = locate_request_data(*body);
  if (span && envelope_reading_ == EnvelopeReading::plain_shape_first && plain_reader_applies_)
    if (auto served = receive_plain(*body, *span, client_certificate)) return std::move(*served);
  client_certificate_ = client_certificate;
  std::string stripped;
  std::string_view parsed = *body;
  if (span) {
    stripped = without_request_data(*body, *span);
    parsed = stripped;
    request_data_ = body->substr(span->begin, span->end - span->begin);
  }
  std::string envelope;
  envelope.reserve(2048);
  body_bound_.start_connection(soap);
  body_bound_.begin_in_memory(soap, parsed, envelope);
  deferring_ = true;
  // The generated serve() for one request, without its keep-alive loop (the reactor keeps
  // connections), whose next round reset the context once more per request. A SendMessage
  // to defer stops it (SOAP_STOP) with nothing written.
  if (soap_begin_serve(soap) == SOAP_OK && dispatch() != SOAP_OK && soap->error != SOAP_OK && soap->error < SOAP_STOP)
    soap_send_fault(soap);
  deferring_ = false;
  client_certificate_.reset();
  request_data_.reset();
  if (deferred_) {
    // What the request built is freed now; gSOAP's temporary tables are cleared by the next
    // request's soap_begin, which clears them anyway (soap_end would clear them a third time).
    soap_destroy(soap);
    soap_dealloc(soap, nullptr);
    body_bound_.end_in_memory(soap);
    Served served = std::move(*deferred_);
    deferred_.reset();
    return served;
  }
  return Served{finish_in_memory(envelope, refuse(Code::Malformed, "the body is not a SOAP envelope")), std::nullopt, {}};
}

std::optional<SyncChannelService::Served> SyncChannelService::receive_plain(
    std::string_view body, const RequestDataSpan& data, const std::optional<ClientCertificate>& client_certificate) {
  // gSOAP would read the body without the data's content; past its length limit it refuses.
  if (config_.max_request_bytes && body.size() - (data.end - data.begin) >= config_.max_request_bytes) return std::nullopt;
  auto plain = read_plain_send_message(body, data);
  if (!plain) return std::nullopt;
  auto accepted = accept_send_message(std::move(plain->fields), body.substr(data.begin, data.end - data.begin),
                                      client_certificate, plain->soap_version, std::string(plain->namespace_uris));
  // A refusal is gSOAP's to write, from the request it read itself, as it always was.
  if (!accepted) return std::nullopt;
  // Where gSOAP's reading would have left the context: the rest is set up again by whatever
  // uses it next (complete_with_gsoap and the next request begin with soap_begin).
  soap->version = plain->soap_version;
  ++envelopes_read_plain_;
  return Served{{}, std::move(accepted.value().message), std::move(accepted.value().reply_to)};
}

std::string SyncChannelService::complete(const ReplyTo& reply_to, const Result<Receipt>& outcome) {
  if (!outcome) return complete_with_gsoap(reply_to, outcome.refusal(), {});
  std::string date;
  std::string data;
  const auto values = response_values(reply_to, outcome.value(), date, data);
  if (ResponseTemplate::renders(values))
    if (const auto* captured = response_template(reply_to)) return captured->render(values);
  return complete_with_gsoap(reply_to, std::nullopt, values);
}

const ResponseTemplate* SyncChannelService::response_template(const ReplyTo& reply_to) {
  constexpr std::size_t kShapesKept = 32;
  // Namespace URIs are the client's: a long one is answered by gSOAP, not kept in a template.
  constexpr std::size_t kLongestNamespaceUris = 1024;
  if (reply_to.namespace_uris.size() > kLongestNamespaceUris) return nullptr;
  std::string shape = std::to_string(reply_to.soap_version);
  shape += reply_to.correlation_id ? 'c' : '-';
  shape += reply_to.session_id ? 's' : '-';
  shape += reply_to.namespace_uris;
  auto found = response_templates_.find(shape);
  if (found == response_templates_.end()) {
    if (response_templates_.size() >= kShapesKept) return nullptr;
    found = response_templates_.emplace(std::move(shape), CapturedTemplate{}).first;
  }
  auto& slot = found->second;
  if (!slot.tried) {
    slot.tried = true;
    const auto markers = ResponseTemplate::markers(reply_to.correlation_id.has_value(), reply_to.session_id.has_value());
    ReplyTo marked{std::string(markers.message_id),
                   reply_to.correlation_id ? std::optional<std::string>(*markers.correlation_id) : std::nullopt,
                   reply_to.session_id ? std::optional<std::string>(*markers.session_id) : std::nullopt, reply_to.soap_version,
                   reply_to.namespace_uris};
    slot.captured = ResponseTemplate::capture(complete_with_gsoap(marked, std::nullopt, markers), markers);
  }
  return slot.captured ? &*slot.captured : nullptr;
}

std::string SyncChannelService::complete_with_gsoap(const ReplyTo& reply_to, const std::optional<Refusal>& refusal,
                                                    const ResponseValues& values) {
  std::string envelope;
  envelope.reserve(2048);
  body_bound_.start_connection(soap);
  body_bound_.begin_in_memory(soap, {}, envelope);
  soap_begin(soap);
  // The state the generated serve answers in: the request's version and namespace URIs.
  restore_namespace_uris(soap, reply_to.namespace_uris);
  soap->version = reply_to.soap_version;
  if (refusal) {
    contract_fault(soap, *refusal);
    soap_send_fault(soap);
    return finish_in_memory(envelope, refuse(Code::Malformed, "the body is not a SOAP envelope"));
  }
  sc__SendMessageResponse response;
  response.soap_default(soap);
  fill_response(response, reply_to, values);
  if (send_response(soap, response) != SOAP_OK) envelope.clear();  // half an envelope is no answer
  return finish_in_memory(envelope, refuse(Code::Internal, "the response could not be written"));
}

std::string SyncChannelService::finish_in_memory(std::string& envelope, const Refusal& when_empty) {
  const int error = soap->error;
  const bool soap12 = soap->version == 2;
  int status = error == SOAP_OK ? 200 : 500;
  if (error >= 200 && error < 600) status = error;
  if (body_bound_.status_override()) status = body_bound_.status_override();
  const char* extra_header = body_bound_.extra_header();
  destroy();
  body_bound_.end_in_memory(soap);
  if (envelope.empty()) return refusal_response(when_empty, 500);
  return http_response(status, extra_header, soap12, envelope);
}

std::string SyncChannelService::serve_http(std::string_view request, const std::optional<ClientCertificate>& client_certificate) {
  client_certificate_ = client_certificate;
  std::istringstream in{std::string(request)};
  std::ostringstream out;
  soap->socket = SOAP_INVALID_SOCKET;
  soap->is = &in;
  soap->os = &out;
  body_bound_.start_connection(soap);
  serve();
  destroy();
  soap->is = nullptr;
  soap->os = nullptr;
  client_certificate_.reset();
  return out.str();
}

std::string SyncChannelService::refusal_response(const Refusal& refusal, int http_status) {
  std::ostringstream out;
  soap->socket = SOAP_INVALID_SOCKET;
  soap->os = &out;
  soap_begin(soap);
  body_bound_.start_connection(soap);
  soap->keep_alive = 0;
  contract_fault(soap, refusal);
  body_bound_.respond_with(soap, http_status, nullptr);
  soap_send_fault(soap);
  destroy();
  soap->os = nullptr;
  body_bound_.start_connection(soap);
  return out.str();
}

int SyncChannelService::SendMessage(sc__SendMessage* request, sc__SendMessageResponse& response) {
  if (!request || !request->request || !request->request->requestInfo || !request->request->requestData ||
      !request->request->requestInfo->sender)
    return contract_fault(soap, refuse(Code::Malformed, "request: requestInfo, sender and requestData are required"));
  const auto& info = *request->request->requestInfo;
  SendMessageFields fields{info.messageId,           copy_of(info.correlationId), info.serviceId,
                           info.messageDate,         info.sender->senderId,       copy_of(info.sender->password),
                           copy_of(info.sessionId)};
  const char* parsed_data = request->request->requestData->data;
  auto accepted = accept_send_message(std::move(fields), request_data_ ? *request_data_ : std::string_view(parsed_data ? parsed_data : ""),
                                      client_certificate_, soap->version, namespace_uris_read(soap));
  if (!accepted) return contract_fault(soap, accepted.refusal());
  auto& message = accepted.value().message;
  auto& reply_to = accepted.value().reply_to;
  if (deferring_) {
    deferred_ = Served{{}, std::move(message), std::move(reply_to)};
    return SOAP_STOP;  // no response now: complete() writes it
  }
  const auto outcome = handler_.handle(message);
  if (!outcome) return contract_fault(soap, outcome.refusal());
  std::string date;
  std::string data;
  fill_response(response, reply_to, response_values(reply_to, outcome.value(), date, data));
  return SOAP_OK;
}

void SyncChannelService::fill_response(sc__SendMessageResponse& response, const ReplyTo& reply_to, const ResponseValues& values) {
  auto* reply = soap_new_sc__SyncSendMessageResponse(soap);
  reply->responseInfo = soap_new_sc__SyncMessageInfoResponse(soap);
  reply->responseInfo->messageId = reply_to.message_id;
  if (reply_to.correlation_id) reply->responseInfo->correlationId = soap_new_std__string(soap);
  if (reply_to.correlation_id) *reply->responseInfo->correlationId = *reply_to.correlation_id;
  if (reply_to.session_id) reply->responseInfo->sessionId = soap_new_std__string(soap);
  if (reply_to.session_id) *reply->responseInfo->sessionId = *reply_to.session_id;
  reply->responseInfo->responseDate = std::string(values.response_date);
  reply->responseInfo->status = soap_new_sc__StatusInfo(soap);
  reply->responseInfo->status->code = "SCSS001";
  reply->responseInfo->status->message = std::string(values.status_message);
  reply->responseData = soap_new_sc__ResponseData(soap);
  reply->responseData->data = soap_strdup(soap, std::string(values.data).c_str());
  response.response = reply;
}

}  // namespace stagegate::adapters
