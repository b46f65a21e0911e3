// The envelope reader: HTTP request line and headers, the gSOAP parser with our limits and
// hooks (body bound, contract faults), business-document extraction. Whatever the bytes,
// the reply is an HTTP response and the handler sees only envelopes that parsed.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "sync_channel_service.h"

namespace {

class ReceiptHandler final : public stagegate::MessageHandler {
 public:
  stagegate::Result<stagegate::Receipt> handle(const stagegate::InboundMessage& message) override {
    // The adapter promises a non-empty document and ids to the pipeline.
    if (message.message_id.empty() || message.service_id.empty()) throw std::logic_error("empty id reached the handler");
    if (message.document.empty()) throw std::logic_error("empty document reached the handler");
    if (message.document.size() % 2) return stagegate::refuse(stagegate::Code::SignatureInvalid, "odd");
    return stagegate::Receipt{1, "2026-11-22T10:00:00.000Z", false};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ReceiptHandler handler;
  static stagegate::adapters::ServerConfig config = [] {
    stagegate::adapters::ServerConfig limits;
    limits.max_request_bytes = 256 * 1024;
    limits.io_timeout_seconds = 1;
    return limits;
  }();
  static stagegate::adapters::SyncChannelService service(handler, config);
  service.serve_bytes(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
