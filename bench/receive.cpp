// SyncChannelService::receive() on one signed sample, N times: a driver for callgrind, which
// counts the instructions of receive() alone (see docs/performance.md, "Reading the envelope
// without gSOAP"):
//   valgrind --tool=callgrind --collect-atstart=no
//     --toggle-collect='stagegate::adapters::SyncChannelService::receive(*' build/bench/bench_receive 1000 [--gsoap-only]
// usage: bench_receive [count=1000] [--gsoap-only]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "support/files.h"
#include "sync_channel_service.h"

using namespace stagegate;

namespace {

class AcceptingHandler final : public MessageHandler {
 public:
  Result<Receipt> handle(const InboundMessage&) override { return Receipt{1, "2026-11-22T10:00:00.000Z", false}; }
};

// The request bench_load sends: the signed sample as requestData/data.
std::string request() {
  auto document = test::read_text(std::string(STAGEGATE_TEST_DATA) + "/attacks/valid.xml");
  if (document.empty()) throw std::runtime_error("tests/data/attacks/valid.xml is missing");
  if (document.starts_with("<?xml")) document.erase(0, document.find("?>") + 2);
  const std::string body =
      "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>"
      "<t:SendMessage xmlns:t=\"http://bip.bee.kz/SyncChannel/v10/Types\"><request><requestInfo><messageId>run-000000000001"
      "</messageId><serviceId>STAGE_NOTIFICATION</serviceId><messageDate>2026-11-22T10:00:00Z</messageDate><sender><senderId>"
      "akimat</senderId><password>secret</password></sender></requestInfo><requestData><data>" +
      document + "</data></requestData></request></t:SendMessage></s:Body></s:Envelope>";
  return "POST / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: text/xml; charset=utf-8\r\nSOAPAction: \"\"\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

int main(int argc, char** argv) {
  int count = 1000;
  bool gsoap_only = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--gsoap-only") == 0) gsoap_only = true;
    else count = std::atoi(argv[i]);
  }
  AcceptingHandler handler;
  adapters::ServerConfig config;
  adapters::SyncChannelService service(handler, config);
  if (gsoap_only) service.set_envelope_reading(adapters::SyncChannelService::EnvelopeReading::gsoap_only);
  const auto bytes = request();
  std::size_t received = 0;
  for (int i = 0; i < count; ++i) {
    const auto served = service.receive(bytes);
    if (!served.message) {
      std::fprintf(stderr, "not received: %s\n", served.response.c_str());
      return 1;
    }
    received += served.message->document.size() > 0;
  }
  std::printf("%zu messages received (%s), %llu without gSOAP\n", received, gsoap_only ? "gSOAP only" : "plain reader first",
              static_cast<unsigned long long>(service.envelopes_read_plain()));
  return 0;
}
