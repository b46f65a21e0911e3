#include "stagegate/adapters/bus_client.h"


#include <cstdio>
#include <random>
#include <string_view>

#include "receipt_xml.h"
#include "soapISyncChannelHttpBindingProxy.h"
#include "tls_context.h"
#include "stagegate/core/clock.h"

namespace stagegate::adapters {
namespace {

// The document travels as the element child of data: an XML declaration there would
// make the envelope itself ill-formed.
std::string_view without_xml_declaration(std::string_view document) {
  while (!document.empty() && (document.front() == ' ' || document.front() == '\n' || document.front() == '\r' ||
                               document.front() == '\t'))
    document.remove_prefix(1);
  if (document.starts_with("\xEF\xBB\xBF")) document.remove_prefix(3);
  if (document.starts_with("<?xml")) {
    const auto end = document.find("?>");
    if (end != std::string_view::npos) document.remove_prefix(end + 2);
  }
  return document;
}

}  // namespace

std::string make_message_id() {
  std::random_device entropy;
  std::mt19937_64 generator(entropy());
  std::uniform_int_distribution<std::uint64_t> any;
  const std::uint64_t high = any(generator);
  const std::uint64_t low = any(generator);
  char text[40];
  std::snprintf(text, sizeof text, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xFFFF), static_cast<unsigned>(high & 0x0FFF),
                static_cast<unsigned>(0x8000 | ((low >> 48) & 0x3FFF)),
                static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
  return text;
}

SendReply send_message(const std::string& url, const OutboundMessage& message, int timeout_seconds,
                       const std::optional<ClientTls>& tls) {
  ISyncChannelHttpBindingProxy proxy(url.c_str(), SOAP_C_UTFSTRING);
  if (url.starts_with("https://")) {
    const ClientTls settings = tls.value_or(ClientTls{});
    const auto context = make_client_context(settings);
    share_context(proxy.soap, context.get());
    proxy.soap->ssl_flags = SOAP_SSL_DEFAULT | (settings.check_host_name ? 0 : SOAP_SSL_SKIP_HOST_CHECK);
  }
  proxy.soap->connect_timeout = timeout_seconds;
  proxy.soap->recv_timeout = timeout_seconds;
  proxy.soap->send_timeout = timeout_seconds;

  SendReply reply;
  reply.message_id = message.message_id.empty() ? make_message_id() : message.message_id;

  auto* envelope = soap_new_sc__SendMessage(proxy.soap);
  envelope->request = soap_new_sc__SyncSendMessageRequest(proxy.soap);
  auto* info = envelope->request->requestInfo = soap_new_sc__SyncMessageInfo(proxy.soap);
  info->messageId = reply.message_id;
  if (!message.correlation_id.empty()) info->correlationId = soap_new_std__string(proxy.soap);
  if (info->correlationId) *info->correlationId = message.correlation_id;
  info->serviceId = message.service_id;
  info->messageDate = now_utc();
  info->sender = soap_new_sc__SenderInfo(proxy.soap);
  info->sender->senderId = message.sender_id;
  info->sender->password = soap_new_std__string(proxy.soap);
  *info->sender->password = message.password;
  envelope->request->requestData = soap_new_sc__RequestData(proxy.soap);
  const std::string document(without_xml_declaration(message.document));
  envelope->request->requestData->data = soap_strdup(proxy.soap, document.c_str());

  sc__SendMessageResponse response;
  const int status = proxy.SendMessage(envelope, response);
  reply.http_status = proxy.soap->status;
  if (status == SOAP_OK) {
    reply.transport_ok = true;
    if (response.response && response.response->responseInfo && response.response->responseInfo->status) {
      reply.status_code = response.response->responseInfo->status->code;
      reply.message = response.response->responseInfo->status->message;
    }
    if (response.response && response.response->responseData && response.response->responseData->data) {
      reply.response_data = response.response->responseData->data;
      if (const auto receipt = receipt_from_xml(reply.response_data)) {
        reply.sequence = receipt->sequence;
        reply.received_at = receipt->received_at;
        reply.duplicate = receipt->duplicate;
      }
    }
  } else if (proxy.soap->fault && proxy.soap->fault->detail &&
             proxy.soap->fault->detail->sc__SendMessageFault1_USCORESendMessageFault) {
    const auto* error = proxy.soap->fault->detail->sc__SendMessageFault1_USCORESendMessageFault;
    reply.transport_ok = true;
    reply.status_code = error->errorCode;
    reply.message = error->errorMessage;
  } else if (status == 503) {
    // gSOAP reads no fault body under an HTTP error status; 503 is only ever OVERLOADED.
    reply.transport_ok = true;
    reply.status_code = "OVERLOADED";
    reply.message = "the gateway is overloaded (HTTP 503); retry later with the same messageId";
  } else {
    reply.transport_ok = status == SOAP_FAULT;
    const char* text = soap_fault_string(proxy.soap);
    reply.status_code = status == SOAP_FAULT ? "FAULT" : "TRANSPORT";
    reply.message = text ? text : "no answer";
  }
  proxy.destroy();
  return reply;
}

}  // namespace stagegate::adapters
