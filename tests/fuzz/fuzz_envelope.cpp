// The envelope reader as the server runs it: HTTP framing by HttpRequestReader (what the
// connection reactor does before any worker sees a request), then the gSOAP parser with our
// limits and hooks (body bound, contract faults) and business-document extraction. Whatever
// the bytes, the reply is an HTTP response and the handler sees only envelopes that parsed.
// (gSOAP alone allocates a negative size for "Content-Length: -74": the framing refuses it.)
// Differential: the service reads plain envelopes itself (send_message_reader); a second one
// reads every envelope through gSOAP, and any difference between the two aborts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "http_request_reader.h"
#include "support/envelope_differential.h"
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
  using stagegate::adapters::SyncChannelService;
  static SyncChannelService service(handler, config);
  static SyncChannelService through_gsoap(handler, config);
  static const bool gsoap_only = (through_gsoap.set_envelope_reading(SyncChannelService::EnvelopeReading::gsoap_only), true);
  (void)gsoap_only;
  stagegate::adapters::HttpRequestReader framing({16 * 1024, config.max_request_bytes});
  if (framing.feed(std::string_view(reinterpret_cast<const char*>(data), size)) != stagegate::adapters::ReadState::complete)
    return 0;  // the reactor answers 400 or 413 and no worker sees it
  service.serve_bytes(framing.request());

  const auto by_gsoap = through_gsoap.receive(framing.request());
  const auto by_either = service.receive(framing.request());
  auto difference = stagegate::test::received_difference(by_gsoap, by_either);
  if (difference.empty() && by_gsoap.message) {
    const stagegate::Result<stagegate::Receipt> accepted = stagegate::Receipt{1, "2026-11-22T10:00:00.000Z", false};
    if (stagegate::test::with_times_masked(through_gsoap.complete(by_gsoap.reply_to, accepted)) !=
        stagegate::test::with_times_masked(service.complete(by_either.reply_to, accepted)))
      difference = "the responses differ";
  }
  if (!difference.empty()) {
    std::fprintf(stderr, "the plain reader and gSOAP disagree:\n%s\n", difference.c_str());
    std::abort();
  }
  return 0;
}
